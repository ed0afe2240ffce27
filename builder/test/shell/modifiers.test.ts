// Word expansion: every `${...}` modifier, quotes, escapes and the backtick escape
// token. Results for the POSIX modifiers agree with bash; where BuildKit differs
// from a shell (no bracket expressions, Go's ReplaceAll) the case says so.
import { BerthError } from '@berth/spec';
import { RequiredVariableError, ShellLex, ShellSyntaxError } from '../../src/shell';

const env = {
  FOO: 'xxyy',
  EMPTY: '',
  FILE: 'archive.tar.gz',
  PATHV: '/usr/local/bin',
  STAR: 'a*b*c',
  URL: 'http://example.com/a/b',
  DOT: 'a.b',
  SPACED: ' a  b ',
  한국어: 'hangul',
};

describe('modifiers', () => {
  const lex = new ShellLex();
  const table: Array<[string, string]> = [
    ['$FOO', 'xxyy'],
    ['${FOO}', 'xxyy'],
    ['${FOO}bar', 'xxyybar'],
    ['$FOO-bar', 'xxyy-bar'],
    ['$한국어', 'hangul'],
    ['$UNSET', ''],
    // ${v-w} / ${v:-w}: default when unset (or, with the colon, empty)
    ['${UNSET-dflt}', 'dflt'],
    ['${EMPTY-dflt}', ''],
    ['${FOO-dflt}', 'xxyy'],
    ['${UNSET:-dflt}', 'dflt'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${FOO:-dflt}', 'xxyy'],
    ['${UNSET:-$FOO}', 'xxyy'],
    ['${UNSET:-${EMPTY:-nested}}', 'nested'],
    ['${UNSET:-a b}', 'a b'],
    // ${v+w} / ${v:+w}: alternative when set (and, with the colon, not empty)
    ['${UNSET+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${FOO+alt}', 'alt'],
    ['${UNSET:+alt}', ''],
    ['${EMPTY:+alt}', ''],
    ['${FOO:+alt-$FOO}', 'alt-xxyy'],
    // ${v?w} / ${v:?w} when they do not fail
    ['${FOO?msg}', 'xxyy'],
    ['${EMPTY?msg}', ''],
    ['${FOO:?msg}', 'xxyy'],
    // ${v#p} ${v##p}: shortest / longest prefix
    ['${FILE#*.}', 'tar.gz'],
    ['${FILE##*.}', 'gz'],
    ['${PATHV#/}', 'usr/local/bin'],
    ['${PATHV##*/}', 'bin'],
    ['${FOO#?}', 'xyy'],
    ['${FOO#??}', 'yy'],
    ['${FOO#x*}', 'xyy'],
    ['${FOO##x*}', ''],
    ['${FOO#nomatch}', 'xxyy'],
    ['${FOO#y}', 'xxyy'],
    ['${FOO#}', 'xxyy'],
    ['${FOO##}', 'xxyy'],
    ['${UNSET#x}', ''],
    ['${STAR#*\\*}', 'b*c'],
    ['${STAR##*\\*}', 'c'],
    ['${DOT#a.}', 'b'],
    ['${DOT#a?}', 'b'],
    ['${FOO#$EMPTY}', 'xxyy'],
    ['${FOO#${FOO%yy}}', 'yy'],
    // ${v%p} ${v%%p}: shortest / longest suffix
    ['${FILE%.*}', 'archive.tar'],
    ['${FILE%%.*}', 'archive'],
    ['${PATHV%/*}', '/usr/local'],
    ['${PATHV%%/*}', ''],
    ['${FOO%?}', 'xxy'],
    ['${FOO%y*}', 'xxy'],
    ['${FOO%%x*}', ''],
    ['${FOO%%y}', 'xxy'],
    ['${FOO%}', 'xxyy'],
    ['${STAR%\\**}', 'a*b'],
    ['${STAR%%\\**}', 'a'],
    // ${v/p/r} ${v//p/r}: first / every match, greedy globs
    ['${FILE/.tar/}', 'archive.gz'],
    ['${FOO/x/z}', 'zxyy'],
    ['${FOO//x/z}', 'zzyy'],
    ['${FOO//?/-}', '----'],
    ['${FOO/x*/Q}', 'Q'],
    ['${FOO/*y/Q}', 'Q'],
    ['${FOO/q/z}', 'xxyy'],
    ['${FOO//*/-}', '-'], // Go's ReplaceAll skips the empty match at the end, as bash does
    ['${UNSET//*/-}', '-'], // but an empty value is one empty match (bash: '')
    ['${URL//\\//_}', 'http:__example.com_a_b'],
    ['${URL/http:\\/\\//https://}', 'https://example.com/a/b'],
    ['${DOT/./-}', 'a-b'],
    ['${FOO/x.y/z}', 'xxyy'],
    ['${FOO/[x]/z}', 'xxyy'], // BuildKit has no bracket expressions: `[x]` is literal (bash: zxyy)
    ['${FOO//x/$DOT}', 'a.ba.byy'],
    ['${FOO//x/\\$0}', '\\x\\xyy'], // Go's ReplaceAllString expands $0 to the match
    ['${FOO/x/\\$0}', '\\$0xyy'], // the first-match form inserts the text as is
    ['${FOO///}', 'xxyy'],
    ['${UNSET/x/y}', ''],
    ['${FOO/$EMPTY/ww}', 'wwxxyy'],
    // positional and special parameters are never set
    ['$1$@$#$?$$$!$0$-$*', ''],
    ['${1:-one}', 'one'],
    ['$', '$'],
    ['a$', 'a$'],
    ['$.', '$.'],
  ];

  it.each(table)('%s -> %j', (input, expected) => {
    expect(lex.processWord(input, env)).toBe(expected);
    expect(lex.processWord(input, new Map(Object.entries(env)))).toBe(expected);
  });

  it('does not read inherited object properties as variables', () => {
    expect(lex.processWord('[$constructor][$toString][${__proto__:-p}]', {})).toBe('[][][p]');
  });
});

describe('required variables', () => {
  const lex = new ShellLex();
  const failing: Array<[string, string, string]> = [
    ['${UNSET?}', 'UNSET', 'UNSET: is not allowed to be unset'],
    ['${UNSET:?}', 'UNSET', 'UNSET: is not allowed to be unset'],
    ['${EMPTY:?}', 'EMPTY', 'EMPTY: is not allowed to be empty'],
    ['${EMPTY:?set EMPTY for $FOO}', 'EMPTY', 'EMPTY: set EMPTY for xxyy'],
    ['pre-${UNSET?must be set}', 'UNSET', 'UNSET: must be set'],
  ];

  it.each(failing)('%s fails naming %s', (input, variable, message) => {
    let caught: unknown;
    try {
      lex.processWord(input, env);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RequiredVariableError);
    expect(caught).toBeInstanceOf(BerthError);
    const err = caught as RequiredVariableError;
    expect(err.code).toBe('ERR_BERTH_SHELL_REQUIRED_VARIABLE');
    expect(err.variable).toBe(variable);
    expect(err.word).toBe(input);
    expect(err.message).toBe(`failed to process ${JSON.stringify(input)}: ${message}`);
  });
});

describe('syntax errors', () => {
  const lex = new ShellLex();
  const failing: Array<[string, string]> = [
    ["'abc", 'unexpected end of statement while looking for matching single-quote'],
    ['"abc', 'unexpected end of statement while looking for matching double-quote'],
    ['${FOO', "syntax error: missing '}'"],
    ['${', "syntax error: missing '}'"],
    ['${FOO:-abc', "syntax error: missing '}'"],
    ['${}', 'syntax error: bad substitution'],
    ['${:-x}', 'syntax error: bad substitution'],
    ['${{FOO}', 'syntax error: bad substitution'],
    ['${FOO:=x}', 'unsupported modifier (:=) in substitution'],
    ['${FOO=x}', 'unsupported modifier (=) in substitution'],
    ['${FOO:x}', 'unsupported modifier (:x) in substitution'],
    ['${.}', 'unsupported modifier (.) in substitution'],
    ['${FOO//ww}', "syntax error: missing '/' in ${}"],
    ['${FOO/a/b', "syntax error: missing '}'"],
    ['${FOO#\\x}', "invalid pattern (\\x) in substitution: invalid escape '\\x'"],
    ['${FOO/a\\b/c}', "invalid pattern (a\\b) in substitution: invalid escape '\\b'"],
  ];

  it.each(failing)('%s: %s', (input, reason) => {
    let caught: unknown;
    try {
      lex.processWords(input, env);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ShellSyntaxError);
    const err = caught as ShellSyntaxError;
    expect(err.code).toBe('ERR_BERTH_SHELL_SYNTAX');
    expect(err.reason).toBe(reason);
    expect(err.message).toBe(`failed to process ${JSON.stringify(input)}: ${reason}`);
  });
});

describe('quotes, escapes and word splitting', () => {
  const lex = new ShellLex();
  const table: Array<[string, string, string[]]> = [
    ["'a b'", 'a b', ['a b']],
    ['"$FOO bar"', 'xxyy bar', ['xxyy bar']],
    ['$SPACED', ' a  b ', ['a', 'b']],
    ['"$SPACED"', ' a  b ', [' a  b ']],
    ['x${SPACED}y', 'x a  b y', ['x', 'a', 'b', 'y']],
    ['a b\tc', 'a b\tc', ['a', 'b', 'c']],
    ['  lead  trail  ', '  lead  trail  ', ['lead', 'trail']],
    ['a\\ b', 'a b', ['a b']],
    ['\\$FOO', '$FOO', ['$FOO']],
    ['"\\$FOO"', '$FOO', ['$FOO']],
    ["'\\$FOO'", '\\$FOO', ['\\$FOO']],
    ['"a\\"b"', 'a"b', ['a"b']],
    ['"a\\zb"', 'a\\zb', ['a\\zb']],
    ['"a\\\\b"', 'a\\b', ['a\\b']],
    ["\"it's\"", "it's", ["it's"]],
    ["'say \"hi\"'", 'say "hi"', ['say "hi"']],
    ['"${FOO}"\'${FOO}\'', 'xxyy${FOO}', ['xxyy${FOO}']],
    ['"" x', ' x', ['x']],
    ['trailing\\', 'trailing', ['trailing']],
    ['${UNSET:-"a  b"}', 'a  b', ['a', 'b']], // quotes inside ${} do not protect the outer split
  ];

  it.each(table)('%s', (input, word, words) => {
    expect(lex.processWord(input, env)).toBe(word);
    expect(lex.processWords(input, env)).toEqual(words);
  });
});

describe('the backtick escape token', () => {
  const lex = new ShellLex('`');
  const table: Array<[string, string]> = [
    ['a`$FOO', 'a$FOO'],
    ['"a`"b"', 'a"b'],
    ['"a`$FOO"', 'a$FOO'],
    ['a``b', 'a`b'],
    ['C:\\path\\$FOO', 'C:\\path\\xxyy'],
    ['"C:\\dir\\"', 'C:\\dir\\'],
    ['a` b', 'a b'],
    ['${FILE%.*}', 'archive.tar'],
  ];

  it.each(table)('%s -> %j', (input, expected) => {
    expect(lex.processWord(input, env)).toBe(expected);
  });

  it('splits words only at unescaped white space', () => {
    expect(lex.processWords('a` b c\\ d', env)).toEqual(['a b', 'c\\', 'd']);
  });
});

describe('options and reporting', () => {
  it('reports the variables used and the ones unset', () => {
    const r = new ShellLex().expand('${FOO} $UNSET ${EMPTY:-x} ${OTHER:+y}', env);
    expect(r.result).toBe('xxyy  x ');
    expect([...r.matched].sort()).toEqual(['EMPTY', 'FOO']);
    expect([...r.unmatched].sort()).toEqual(['OTHER', 'UNSET']);
  });

  it('skipUnsetEnv leaves references to unset variables as written', () => {
    const lex = new ShellLex('\\', { skipUnsetEnv: true });
    expect(lex.processWord('$UNSET ${UNSET} ${UNSET:-d} ${UNSET//a/b} ${UNSET#p} $FOO', env)).toBe(
      '$UNSET ${UNSET} ${UNSET:-d} ${UNSET//a/b} ${UNSET#p} xxyy',
    );
  });

  it('rawQuotes keeps the quotes', () => {
    const lex = new ShellLex('\\', { rawQuotes: true });
    expect(lex.processWord(`"a $FOO"'b $FOO'`, env)).toBe(`"a xxyy"'b $FOO'`);
  });

  it('rawEscapes keeps the escape characters', () => {
    const lex = new ShellLex('\\', { rawEscapes: true });
    expect(lex.processWord('a\\ b\\$FOO', env)).toBe('a\\ b\\$FOO');
  });

  it('skipProcessQuotes treats quotes as text but still expands', () => {
    const lex = new ShellLex('\\', { skipProcessQuotes: true });
    expect(lex.processWord(`"$FOO" '$FOO'`, env)).toBe(`"xxyy" 'xxyy'`);
  });

  it('is reusable: one lexer, many words', () => {
    const lex = new ShellLex();
    expect(() => lex.processWord("'broken", env)).toThrow(ShellSyntaxError);
    expect(lex.processWord('$FOO', env)).toBe('xxyy');
  });
});
