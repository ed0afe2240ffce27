import { dump, parse, DockerfileSyntaxError, MAX_LINE_BYTES } from '@berth/builder';

const d = (text: string): string => dump(parse(text));

describe('parser directives', () => {
  it('reads syntax, escape and check at the top, keys case-insensitive', () => {
    const ast = parse('# syntax=docker/dockerfile:1\n# ESCAPE=`\n#check = skip=all\nFROM a\n');
    expect(ast.directives).toEqual([
      { name: 'syntax', value: 'docker/dockerfile:1', line: 1 },
      { name: 'escape', value: '`', line: 2 },
      { name: 'check', value: 'skip=all', line: 3 },
    ]);
    expect(ast.escapeToken).toBe('`');
  });

  it('a directive given twice is an error on its line', () => {
    expect(() => parse('# escape=\\\n# escape=`\nFROM a\n')).toThrow('Dockerfile:2: only one escape parser directive can be used');
  });

  it('an invalid escape token is an error', () => {
    expect(() => parse('# escape=x\nFROM a\n')).toThrow("Dockerfile:1: invalid escape token 'x' does not match ` or \\");
  });

  it.each([
    ['a blank line', '\n# escape=`\nFROM a\n'],
    ['an ordinary comment', '# hello\n# escape=`\nFROM a\n'],
    ['an instruction', 'FROM a\n# escape=`\n'],
    ['an unknown directive', '# foo=bar\n# escape=`\nFROM a\n'],
  ])('are no longer recognised after %s', (_what, text) => {
    expect(parse(text).escapeToken).toBe('\\');
  });

  it('directive lines are not kept as comments of the first instruction', () => {
    expect(parse('# syntax=x\n# the base\nFROM a\n').instructions[0]?.comments).toEqual(['the base']);
  });
});

describe('lines', () => {
  it('instructions are case-insensitive; dump lower-cases them, the node keeps the spelling', () => {
    const ast = parse('fRoM alpine\nrun true\n');
    expect(dump(ast)).toBe('(from "alpine")\n(run "true")');
    expect(ast.instructions[0]?.keyword).toBe('fRoM');
  });

  it('strips a UTF-8 BOM', () => {
    expect(d('\ufeffFROM a\n')).toBe('(from "a")');
  });

  it('accepts UTF-8 bytes, BOM included', () => {
    expect(dump(parse(Buffer.from('\ufeffFROM a\nLABEL x=☃\n')))).toBe('(from "a")\n(label "x" "☃" "=")');
  });

  it('CRLF line endings are the same as LF', () => {
    expect(d('FROM a\r\nRUN x \\\r\n  y\r\n')).toBe('(from "a")\n(run "x   y")');
  });

  it('drops comment lines inside a continuation', () => {
    expect(d('RUN a \\\n# comment\n  b\n')).toBe('(run "a   b")');
  });

  it('warns about empty continuation lines, with the rule name and line', () => {
    const ast = parse('FROM a\nRUN a \\\n\n  b\n');
    expect(ast.warnings).toEqual([expect.objectContaining({ rule: 'NoEmptyContinuation', line: 4, message: 'Empty continuation line found in: RUN a   b' })]);
  });

  it('the backtick escape continues lines and leaves backslashes alone', () => {
    expect(d('# escape=`\nRUN dir c:\\ `\n  /b\n')).toBe('(run "dir c:\\\\   /b")');
  });

  it('an escaped escape at the end does not continue the line', () => {
    expect(d('ENV A b\\\\\nENV B c\n')).toBe('(env "A" "b\\\\\\\\" "")\n(env "B" "c" "")');
  });

  it(`accepts a line of ${MAX_LINE_BYTES} bytes and refuses a longer one, naming its line`, () => {
    const ok = 'RUN ' + 'x'.repeat(MAX_LINE_BYTES - 4);
    expect(parse(`FROM a\n${ok}\n`).instructions).toHaveLength(2);
    expect(() => parse(`FROM a\n${ok}x\n`)).toThrow(`Dockerfile:2: dockerfile line greater than max allowed size of ${MAX_LINE_BYTES}`);
  });

  it('counts the line limit in UTF-8 bytes', () => {
    const line = 'RUN ' + 'é'.repeat(MAX_LINE_BYTES / 2);
    expect(() => parse(`${line}\n`)).toThrow(DockerfileSyntaxError);
  });

  it('a file with only comments and blank lines has no instructions', () => {
    expect(() => parse('# a\n\n   \n', { file: 'ci/Dockerfile' })).toThrow('ci/Dockerfile:3: file with no instructions');
  });

  it('keeps line ranges for every instruction', () => {
    const ast = parse('FROM a\n\nRUN a \\\n  b \\\n  c\nCMD x\n');
    expect(ast.instructions.map((n) => [n.startLine, n.endLine])).toEqual([[1, 1], [3, 5], [6, 6]]);
  });

  it('collects the comments right above an instruction; an empty # resets them', () => {
    const ast = parse('# one\n#\n# two\n# three\nFROM a\n');
    expect(ast.instructions[0]?.comments).toEqual(['two', 'three']);
  });
});

describe('arguments', () => {
  it('extracts leading --flags, with quotes and a -- terminator', () => {
    expect(d('COPY --chown="a b" --link -- --weird /x\n')).toBe('(copy ["--chown=a b" "--link"] "--weird" "/x")');
  });

  it('reads flags byte by byte as BuildKit does: non-ASCII flag text keeps one character per UTF-8 byte', () => {
    expect(d('COPY --chown=é a b\n')).toBe('(copy ["--chown=Ã©"] "a" "b")');
    expect(d('COPY --chown=x é b\n')).toBe('(copy ["--chown=x"] "é" "b")');
  });

  it('stops flags at the first word without --', () => {
    expect(d('RUN echo --not-a-flag\n')).toBe('(run "echo --not-a-flag")');
  });

  it('tries JSON first and falls back to shell form when it is not a JSON array', () => {
    expect(d('CMD ["a", "b"]\nCMD [a, b]\nCMD ["unterminated"\n')).toBe(
      '(cmd "a" "b")\n(cmd "[a, b]")\n(cmd "[\\"unterminated\\"")',
    );
  });

  it('a JSON array with a non-string is an error, not shell form', () => {
    expect(() => parse('FROM a\nCMD ["a", 1]\n')).toThrow('Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only');
  });

  it('ignores what follows the JSON array, as Go json.Decoder does', () => {
    expect(d('CMD ["a"] trailing\n')).toBe('(cmd "a")');
  });

  it('COPY falls back to whitespace-separated words', () => {
    expect(d('COPY  a   b\tc\n')).toBe('(copy "a" "b" "c")');
  });

  it('ENV and LABEL dump as key/value/separator triples', () => {
    expect(d('ENV a=1 b="2 3"\nLABEL x y z\n')).toBe('(env "a" "1" "=" "b" "\\"2 3\\"" "=")\n(label "x" "y z" "")');
  });

  it('ENV new form needs = in every word', () => {
    expect(() => parse('ENV a=1 b\n')).toThrow('Dockerfile:1: Syntax error - can\'t find = in "b". Must be of the form: name=value');
  });

  it('ONBUILD nests its trigger with its own flags', () => {
    expect(d('ONBUILD COPY --from=x a b\n')).toBe('(onbuild (copy ["--from=x"] "a" "b"))');
  });

  it('HEALTHCHECK keeps the type word, then the command', () => {
    expect(d('HEALTHCHECK --retries=2 CMD ["a", "b"]\n')).toBe('(healthcheck ["--retries=2"] "CMD" "a" "b")');
  });

  it('unknown instructions still parse (the instruction layer rejects them)', () => {
    expect(d('FORM alpine\n')).toBe('(form "")');
  });

  it('quotes arguments as Go strconv.Quote does', () => {
    expect(d('RUN ["\\u0007\\u007f\\u00a0é☃\\ud83d\\ude00\\u200b"]\n')).toBe('(run "\\a\\x7f\\u00a0é☃😀\\u200b")');
  });
});
