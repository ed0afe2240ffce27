import { chompHeredocContent, dump, parse, parseHeredocWord, DockerfileSyntaxError, type InstructionNode } from '@berth/builder';

interface Case {
  /** The rule from the Dockerfile reference (heredocs section) or BuildKit's parser this checks. */
  rule: string;
  text: string;
  /** Index of the instruction under test. */
  at?: number;
  heredocs: { name: string; content: string; expand?: boolean; chomp?: boolean; fd?: number }[];
  lines?: [number, number];
  dump?: string;
  next?: string;
}

const cases: Case[] = [
  { rule: 'RUN <<EOF runs the body; the body is every line up to the delimiter line',
    text: 'FROM a\nRUN <<EOF\necho hi\necho there\nEOF\n', at: 1,
    heredocs: [{ name: 'EOF', content: 'echo hi\necho there\n', expand: true }], lines: [2, 5] },
  { rule: '<<- strips leading tabs, so the delimiter may be indented with tabs',
    text: 'RUN <<-EOF\n\techo hi\n\tEOF\n', heredocs: [{ name: 'EOF', content: '\techo hi\n', chomp: true }] },
  { rule: 'a double-quoted delimiter disables expansion of the body',
    text: 'RUN <<"EOF"\necho $HOME\nEOF\n', heredocs: [{ name: 'EOF', content: 'echo $HOME\n', expand: false }] },
  { rule: 'a single-quoted delimiter disables expansion of the body',
    text: "RUN <<'EOF'\necho $HOME\nEOF\n", heredocs: [{ name: 'EOF', content: 'echo $HOME\n', expand: false }] },
  { rule: 'quoting any part of the delimiter disables expansion; the quotes are not part of the name',
    text: 'RUN <<E"O"F\nx\nEOF\n', heredocs: [{ name: 'EOF', content: 'x\n', expand: false }] },
  { rule: 'a backslash-escaped delimiter character is not quoting: expansion stays on',
    text: 'RUN <<E\\OF\nx\nEOF\n', heredocs: [{ name: 'EOF', content: 'x\n', expand: true }] },
  { rule: 'an unquoted delimiter leaves the body to be expanded',
    text: 'RUN <<EOF\necho $HOME\nEOF\n', heredocs: [{ name: 'EOF', content: 'echo $HOME\n', expand: true }] },
  { rule: 'several heredocs on one line: bodies follow in the order the words appear',
    text: 'RUN cat <<FILE1 > file1 && cat <<FILE2 > file2\nI am\nfirst\nFILE1\nI am\nsecond\nFILE2\n',
    heredocs: [{ name: 'FILE1', content: 'I am\nfirst\n' }, { name: 'FILE2', content: 'I am\nsecond\n' }], lines: [1, 7] },
  { rule: 'COPY <<EOF <dest> creates the file from the body',
    text: 'COPY <<EOF /etc/motd\nhello\nEOF\n', heredocs: [{ name: 'EOF', content: 'hello\n' }],
    dump: '(copy "<<EOF" "/etc/motd")' },
  { rule: 'ADD accepts heredocs as COPY does',
    text: 'ADD <<EOF /x\nbody\nEOF\n', heredocs: [{ name: 'EOF', content: 'body\n' }] },
  { rule: 'COPY with two heredoc sources, names may contain dots',
    text: 'COPY <<robots.txt <<humans.txt /usr/share/nginx/html/\n(robots)\nrobots.txt\n(humans)\nhumans.txt\n',
    heredocs: [{ name: 'robots.txt', content: '(robots)\n' }, { name: 'humans.txt', content: '(humans)\n' }] },
  { rule: 'a number before << names the file descriptor the body is fed to',
    text: 'RUN python3 3<<EOF\nx\nEOF\n', heredocs: [{ name: 'EOF', content: 'x\n', fd: 3 }] },
  { rule: 'exec (JSON) form never has heredocs: the next line is an instruction',
    text: 'RUN ["cat", "<<EOF"]\nEOF\n', heredocs: [], next: 'eof' },
  { rule: 'only RUN, COPY and ADD take heredocs: CMD <<EOF leaves the next line alone',
    text: 'CMD cat <<EOF\nEXPOSE 80\n', heredocs: [], next: 'expose' },
  { rule: 'ONBUILD RUN <<EOF: the trigger may carry a heredoc',
    text: 'ONBUILD RUN <<EOF\necho later\nEOF\n', heredocs: [{ name: 'EOF', content: 'echo later\n' }],
    dump: '(onbuild (run "<<EOF"))' },
  { rule: 'the delimiter line must be exactly the name: trailing spaces do not end the body',
    text: 'RUN <<EOF\nEOF \nEOF\n', heredocs: [{ name: 'EOF', content: 'EOF \n' }] },
  { rule: 'without <<-, a tab-indented delimiter does not end the body',
    text: 'RUN <<EOF\n\tEOF\nEOF\n', heredocs: [{ name: 'EOF', content: '\tEOF\n' }] },
  { rule: 'body lines are not Dockerfile syntax: # lines are kept, not comments',
    text: 'RUN <<EOF\n# not a comment\nEOF\n', heredocs: [{ name: 'EOF', content: '# not a comment\n' }] },
  { rule: 'body lines keep their escape characters: no line continuation inside a heredoc',
    text: 'RUN <<EOF\necho a \\\necho b\nEOF\n', heredocs: [{ name: 'EOF', content: 'echo a \\\necho b\n' }] },
  { rule: 'a CRLF delimiter line still ends the body (line endings are trimmed before comparing)',
    text: 'RUN <<EOF\r\nx\r\nEOF\r\nEXPOSE 1\r\n', heredocs: [{ name: 'EOF', content: 'x\r\n' }], next: 'expose' },
  { rule: '<< inside quotes is an ordinary string, not a heredoc',
    text: 'RUN echo "<<EOF"\nEXPOSE 1\n', heredocs: [], next: 'expose' },
  { rule: 'the heredoc word must start the shell word: a<<EOF is not one (BuildKit)',
    text: 'RUN echo a<<EOF\nEXPOSE 1\n', heredocs: [], next: 'expose' },
  { rule: '<< followed by a space has no delimiter: no heredoc',
    text: 'RUN cat << EOF\nEXPOSE 1\n', heredocs: [], next: 'expose' },
  { rule: 'a delimiter may not contain <: <<A<<B is not a heredoc',
    text: 'RUN cat <<A<<B\nEXPOSE 1\n', heredocs: [], next: 'expose' },
  { rule: 'a #! first line is kept in the body (RUN runs it as a script)',
    text: 'RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n',
    heredocs: [{ name: 'EOF', content: '#!/usr/bin/env python3\nprint(1)\n' }] },
  { rule: 'the instruction after the delimiter line is parsed as usual',
    text: 'RUN <<EOF\nx\nEOF\nEXPOSE 80\n', heredocs: [{ name: 'EOF', content: 'x\n' }], next: 'expose' },
  { rule: 'a heredoc opened on a continued line: the body starts after the last continued line',
    text: 'RUN cat \\\n  <<EOF\nbody\nEOF\n', heredocs: [{ name: 'EOF', content: 'body\n' }], lines: [1, 4] },
  { rule: 'flags may precede the heredoc word',
    text: 'COPY --chmod=755 <<EOF /run.sh\necho\nEOF\n', heredocs: [{ name: 'EOF', content: 'echo\n' }],
    dump: '(copy ["--chmod=755"] "<<EOF" "/run.sh")' },
  { rule: 'an empty body is allowed',
    text: 'RUN <<EOF\nEOF\n', heredocs: [{ name: 'EOF', content: '' }] },
  { rule: 'bodies are matched to delimiters in order, even when a body contains the other delimiter (BuildKit test)',
    text: 'COPY <<X <<Y /dest\nY\nX\nX\nY\n', heredocs: [{ name: 'X', content: 'Y\n' }, { name: 'Y', content: 'X\n' }] },
  { rule: 'RUN --mount flags before a heredoc do not hide it',
    text: 'RUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT\n', heredocs: [{ name: 'MOUNT', content: 'echo hello\n' }] },
  { rule: 'a quoted <<- delimiter: chomp and no expansion together',
    text: "RUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND\n", heredocs: [{ name: 'NOEXPAND', content: "\tdon't expand $NAME\n", expand: false, chomp: true }] },
  { rule: 'the delimiter line may be the last line, without a newline',
    text: 'RUN <<EOF\nx\nEOF', heredocs: [{ name: 'EOF', content: 'x\n' }] },
];

describe('heredocs', () => {
  it('the table has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases.map((c) => [c.rule, c] as const))('%s', (_rule, c) => {
    const ast = parse(c.text);
    const node = ast.instructions[c.at ?? 0] as InstructionNode;
    expect(node.heredocs.map((h) => h.name)).toEqual(c.heredocs.map((h) => h.name));
    c.heredocs.forEach((want, i) => {
      const got = node.heredocs[i];
      expect(got?.content).toBe(want.content);
      if (want.expand !== undefined) expect(got?.expand).toBe(want.expand);
      expect(got?.chomp).toBe(want.chomp ?? false);
      expect(got?.fileDescriptor).toBe(want.fd ?? 0);
    });
    if (c.lines) expect([node.startLine, node.endLine]).toEqual(c.lines);
    if (c.dump) expect(dump(ast)).toBe(c.dump);
    if (c.next) expect(ast.instructions[(c.at ?? 0) + 1]?.keyword.toLowerCase()).toBe(c.next);
  });

  it('<<- content loses leading tabs on every line when chomped', () => {
    expect(chompHeredocContent('\t\tone\n\ttwo\n  three\n')).toBe('one\ntwo\n  three\n');
  });

  it('an unterminated heredoc is an error naming the line it started on', () => {
    const text = 'FROM a\nRUN <<EOF\necho never ends\n';
    expect(() => parse(text)).toThrow(DockerfileSyntaxError);
    expect(() => parse(text)).toThrow('Dockerfile:2: unterminated heredoc: <<EOF started on line 2 has no closing EOF line');
  });

  it.each(["RUN <<'EOF\nx\nEOF\n", 'RUN <<EOF"\nx\nEOF\n'])('a delimiter with an unterminated quote is an error: %j', (text) => {
    expect(() => parse(text)).toThrow(/^Dockerfile:1: unexpected end of statement while looking for matching (single|double)-quote in heredoc <</);
  });

  it('parseHeredocWord accepts BuildKit\'s valid delimiters and rejects the rest', () => {
    for (const w of ['<<EOF', "<<'EOF'", '<<"EOF"', '<<-EOF', "<<-'EOF'", '<<-"EOF"']) expect(parseHeredocWord(w)?.name).toBe('EOF');
    for (const w of ['', 'EOF', '<<', '<<-', '<EOF', '<<<EOF']) expect(parseHeredocWord(w)).toBeNull();
  });

  it('the second of two heredocs unterminated is also an error', () => {
    expect(() => parse('RUN cat <<A <<B\na\nA\nb\n')).toThrow(/unterminated heredoc: <<B started on line 1/);
  });
});
