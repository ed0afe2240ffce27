// .dockerignore decisions, checked against Docker's documented rules and
// moby/patternmatcher's behaviour (last matching line wins, a parent
// directory's match covers its contents, `!` re-includes, paths cleaned).
import { BerthError } from '@berth/spec';
import { DockerignoreError, parseDockerignore, PatternMatcher, type MatchInfo } from '../../src/dockerignore';

function excluded(ignore: string, path: string): boolean {
  return new PatternMatcher(parseDockerignore(ignore)).matches(path);
}

describe('.dockerignore table', () => {
  // [.dockerignore text, path, excluded?]
  const table: Array<[string, string, boolean]> = [
    // `*` and `?` stay inside one path element
    ['*.go', 'main.go', true],
    ['*.go', 'cmd/main.go', false],
    ['*/*.go', 'cmd/main.go', true],
    ['*/*.go', 'cmd/sub/main.go', false],
    ['temp?', 'temp1', true],
    ['temp?', 'temp12', false],
    ['temp?', 'temp/x', false],
    ['*', 'anything/deep/file', true],
    ['.*', '.env', true],
    ['.*', 'app/.env', false],
    // `**` crosses directories, even none
    ['**/*.go', 'main.go', true],
    ['**/*.go', 'a/b/c/main.go', true],
    ['**/*.go', 'a/b/main.goo', false],
    ['**/.git', '.git/config', true],
    ['**/.git', 'vendor/lib/.git/HEAD', true],
    ['a/**/z', 'a/z', true],
    ['a/**/z', 'a/b/c/z', true],
    ['dir/**', 'dir', false],
    ['dir/**', 'dir/x/y', true],
    ['**', 'any/thing', true],
    ['**file', 'dir/myfile', true], // a leading `**` is a plain suffix test
    // a directory pattern covers everything below it; names are anchored at the root
    ['docs', 'docs/README.md', true],
    ['docs', 'sub/docs', false],
    ['**/docs', 'sub/docs/x', true],
    // trailing `/`, leading `/` and `./` are cleaned away
    ['docs/', 'docs/a/b', true],
    ['docs/', 'docs', true], // also a file named docs: Docker does not tell them apart
    ['/docs', 'docs/x', true],
    ['./docs', 'docs', true],
    ['a/../b', 'b', true],
    ['a//b/.', 'a/b', true],
    // regexp characters and escapes are literal
    ['abc.def', 'abcXdef', false],
    ['abc.def', 'abc.def', true],
    ['a(b)c+{d}$', 'a(b)c+{d}$', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['a\\\\', 'a\\', true],
    // character classes
    ['[a-c]*.txt', 'b1.txt', true],
    ['[a-c]*.txt', 'd1.txt', false],
    ['[^a]x', 'bx', true],
    ['[^a]x', 'ax', false],
    ['[\\]a]', ']', true],
    ['[x\\-]', '-', true],
    // exceptions: the last matching line wins
    ['*.md\n!README.md', 'README.md', false],
    ['*.md\n!README.md', 'CHANGES.md', true],
    ['*.md\n!README*.md\nREADME-secret.md', 'README-secret.md', true],
    ['*.md\n!README*.md\nREADME-secret.md', 'README-public.md', false],
    ['*.md\nREADME-secret.md\n!README*.md', 'README-secret.md', false],
    ['!keep.txt\n*.txt', 'keep.txt', true],
    ['docs\n!docs/README.md', 'docs/README.md', false],
    ['docs\n!docs/README.md', 'docs/other.md', true],
    ['docs\n!docs/README.md', 'docs', true],
    ['dir/*\n!dir/keep', 'dir/keep', false],
    ['dir/*\n!dir/keep', 'dir/keep/inner', false],
    ['dir/*\n!dir/keep', 'dir', false],
    ['**\n!src', 'src/a/b.ts', false],
    ['**\n!src', 'README', true],
    ['**\n!src\nsrc/**/*.test.ts', 'src/a/x.test.ts', true],
    ['*\n!*/keep', 'a/keep', false],
    ['*\n!*/keep', 'a/other', true],
    ['**/*.log\n!important.log', 'important.log', false],
    ['**/*.log\n!important.log', 'logs/important.log', true],
    ['build\n! build', 'build/x', false], // space after `!` is trimmed
    // comments and white space
    ['# comment', '# comment', false],
    [' #notcomment', '#notcomment', true], // only a `#` in the first column starts a comment
    ['  build  \n\n\t\n', 'build/out', true],
    ['\uFEFFnode_modules', 'node_modules/x', true],
    ['node_modules\r\n*.tmp\r\n', 'node_modules/x', true],
    ['node_modules\r\n*.tmp\r\n', 'a.tmp', true],
    // the path asked about is cleaned too; the context root is never excluded
    ['docs', './docs/x', true],
    ['docs', '/docs/x', true],
    ['*', '.', false],
    ['*', '', false],
  ];

  it.each(table)('%j excludes %j: %s', (ignore, path, expected) => {
    expect(excluded(ignore, path)).toBe(expected);
  });

  it('has at least 40 cases', () => {
    expect(table.length).toBeGreaterThanOrEqual(40);
  });
});

describe('parseDockerignore', () => {
  it('cleans patterns and strips the leading slash, as Docker reads the file', () => {
    const text = 'test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n./x/\n';
    expect(parseDockerignore(text).map((p) => `${p.exclusion ? '!' : ''}${p.pattern}@${p.line}`)).toEqual([
      'test1@1',
      'test2@2',
      'a/file/here@3',
      'lastfile@5',
      '!inverted/abs/path@7',
      'x@8',
    ]);
  });

  const bad: Array<[string, number, string]> = [
    ['ok\n!', 2, 'illegal exclusion pattern: "!"'],
    ['!  ', 1, 'illegal exclusion pattern: "!"'],
    ['!/', 1, 'illegal exclusion pattern: "!"'],
    ['[', 1, 'syntax error in pattern "["'],
    ['a\n\nfoo[', 3, 'syntax error in pattern "foo["'],
    ['[]a]', 1, 'syntax error in pattern "[]a]"'],
    ['[-x]', 1, 'syntax error in pattern "[-x]"'],
    ['[x-]', 1, 'syntax error in pattern "[x-]"'],
    ['[a-b-c]', 1, 'syntax error in pattern "[a-b-c]"'],
    ['[^bc', 1, 'syntax error in pattern "[^bc"'],
    ['a\\', 1, 'syntax error in pattern "a\\\\"'],
    ['[z-a]', 1, 'syntax error in pattern "[z-a]"'],
    ['a\\q', 1, 'unsupported escape "\\q" in pattern'],
  ];

  it.each(bad)('%j fails at line %i: %s', (text, line, message) => {
    let caught: unknown;
    try {
      parseDockerignore(text, 'ctx/.dockerignore');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DockerignoreError);
    expect(caught).toBeInstanceOf(BerthError);
    const err = caught as DockerignoreError;
    expect(err.code).toBe('ERR_BERTH_DOCKERIGNORE');
    expect(err.line).toBe(line);
    expect(err.file).toBe('ctx/.dockerignore');
    expect(err.message).toBe(`ctx/.dockerignore:${line}: ${message}`);
  });

  it('keeps Go regexp meanings for escaped letters', () => {
    expect(excluded('v\\d', 'v1')).toBe(true);
    expect(excluded('v\\d', 'vd')).toBe(false);
  });
});

describe('PatternMatcher', () => {
  it('accepts raw lines like patternmatcher.New and reports exceptions', () => {
    const m = new PatternMatcher(['docs', '', '  !docs/README.md  ']);
    expect(m.patterns).toEqual([
      { pattern: 'docs', exclusion: false, line: 1 },
      { pattern: 'docs/README.md', exclusion: true, line: 3 },
    ]);
    expect(m.hasExclusions).toBe(true);
    expect(new PatternMatcher(['a']).hasExclusions).toBe(false);
    expect(() => new PatternMatcher(['!'])).toThrow(DockerignoreError);
  });

  it('excludes nothing without patterns', () => {
    expect(new PatternMatcher([]).matches('any/path')).toBe(false);
  });
});

// A small context tree to compare the incremental and skipping APIs against matches().
const TREE = [
  'a', 'a/keep', 'a/keep/x', 'a/other', 'b', 'b/c', 'b/c/d.log', 'b/c/keep', 'docs', 'docs/README.md',
  'docs/api', 'docs/api/x.md', 'node_modules', 'node_modules/lib', 'node_modules/lib/important.txt',
  'src', 'src/x.test.ts', 'src/x.ts', 'important.txt', '.git', '.git/HEAD',
];
const IGNORES = [
  '*\n!*/keep',
  'node_modules\n!important.txt',
  'docs\n!docs/README.md',
  '**\n!src\nsrc/**/*.test.ts',
  '**/*.log\n.git\nb\n!b/c/keep',
  'a\n!a/keep\na/keep/x',
  'docs\n!docs/**/*.md',
  '*\n!^*/keep', // `^` is an anchor for Go's regexp, not a literal
];

function parentOf(p: string): string | undefined {
  const i = p.lastIndexOf('/');
  return i < 0 ? undefined : p.slice(0, i);
}

describe('walking a context', () => {
  it.each(IGNORES)('matchesWithParent agrees with matches for %j', (ignore) => {
    const m = new PatternMatcher(parseDockerignore(ignore));
    const info = new Map<string, MatchInfo>();
    for (const p of TREE) {
      const parent = parentOf(p);
      const r = m.matchesWithParent(p, parent === undefined ? undefined : info.get(parent));
      info.set(p, r.info);
      expect([p, r.matched]).toEqual([p, m.matches(p)]);
    }
  });

  it.each(IGNORES)('canSkipDir never hides a re-included path for %j', (ignore) => {
    const m = new PatternMatcher(parseDockerignore(ignore));
    for (const dir of TREE) {
      if (!m.canSkipDir(dir)) continue;
      expect(m.matches(dir)).toBe(true);
      for (const p of TREE.filter((q) => q.startsWith(`${dir}/`))) expect([p, m.matches(p)]).toEqual([p, true]);
    }
  });

  it('skips excluded directories when no exception can reach inside', () => {
    const m = new PatternMatcher(parseDockerignore('node_modules\n.git\n!important.txt'));
    expect(m.canSkipDir('node_modules')).toBe(true);
    expect(m.canSkipDir('.git')).toBe(true);
    expect(m.canSkipDir('src')).toBe(false); // not excluded at all
  });

  it('does not skip a directory an exception reaches into, wildcards included', () => {
    expect(new PatternMatcher(parseDockerignore('docs\n!docs/README.md')).canSkipDir('docs')).toBe(false);
    // Docker's prefix test would skip `a` here and lose a/keep.
    expect(new PatternMatcher(parseDockerignore('*\n!*/keep')).canSkipDir('a')).toBe(false);
    expect(new PatternMatcher(parseDockerignore('*\n!**/keep')).canSkipDir('a/b')).toBe(false);
    expect(new PatternMatcher(parseDockerignore('*\n!^*/keep')).canSkipDir('a')).toBe(false);
  });

  it('ignores exceptions that an earlier line overrides', () => {
    // `!a/keep` comes before `a`, so nothing under a can come back.
    expect(new PatternMatcher(parseDockerignore('!a/keep\na')).canSkipDir('a')).toBe(true);
  });

  it('refuses match info from another pattern set', () => {
    const m = new PatternMatcher(['a', 'b']);
    expect(() => m.matchesWithParent('a/x', { parentMatched: [true] })).toThrow(DockerignoreError);
  });
});
