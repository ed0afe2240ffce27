/**
 * One ignore pattern, compiled as moby/patternmatcher compiles it: plain text
 * is compared exactly, `dir/**` becomes a prefix test, `**\/name` a suffix
 * test, and everything else a regexp where `*` and `?` stop at `/` and `**`
 * crosses directories. The regexp mirrors the Go one patternmatcher builds,
 * with Go's meanings kept where they differ from JavaScript's (`.` skips only
 * `\n`; an escaped letter such as `\d` is a regexp class there, too).
 */

/** Thrown with Docker's complaint; the parser adds the file and line. */
export class PatternSyntaxError extends Error {}

type Kind = 'exact' | 'prefix' | 'suffix' | 'regexp';

const ANY = '[^\\n]'; // Go's `.`
const GO_ESCAPED = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);
// Escaped letters Go's regexp gives a meaning; any other escaped letter, digit or
// non-ASCII character makes Go fail, and we refuse it up front.
const CONTROL: Readonly<Record<string, string>> = { a: '\x07', f: '\f', t: '\t', n: '\n', r: '\r', v: '\v' };
const PERL_CLASS: Readonly<Record<string, string>> = { d: '0-9', s: '\\t\\n\\f\\r ', w: '0-9A-Za-z_' };

export interface CompiledPattern {
  readonly kind: Kind;
  test(path: string): boolean;
}

/** Compiles a cleaned pattern (no `!`); throws PatternSyntaxError where Docker errors. */
export function compilePattern(pattern: string): CompiledPattern {
  validateGlob(pattern);
  const chars = Array.from(pattern);
  let kind: Kind = 'exact';
  let re = '^';
  for (let i = 0, iteration = 0; i < chars.length; iteration++) {
    const ch = chars[i++];
    if (ch === '*') {
      if (chars[i] === '*') {
        i++;
        if (chars[i] === '/') i++; // `**/` is `**`
        if (i >= chars.length) {
          // A trailing `**` matches everything below, as in .gitignore.
          if (kind === 'exact') {
            kind = 'prefix';
          } else {
            re += `${ANY}*`;
            kind = 'regexp';
          }
        } else {
          re += `(?:${ANY}*/)?`; // any number of directories, even none
          kind = 'regexp';
        }
        if (iteration === 0) kind = 'suffix';
      } else {
        re += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      kind = 'regexp';
    } else if (GO_ESCAPED.has(ch)) {
      re += `\\${ch}`;
    } else if (ch === '\\') {
      re += escapeOutsideClass(chars[i++]);
      kind = 'regexp';
    } else if (ch === '[') {
      const cls = translateClass(chars, i);
      re += cls.source;
      i = cls.end;
      kind = 'regexp';
    } else if (ch === ']') {
      re += '\\]';
      kind = 'regexp';
    } else {
      re += ch; // includes `^`, an anchor for Go too: such a pattern never matches
    }
  }

  switch (kind) {
    case 'exact':
      return { kind, test: (path) => path === pattern };
    case 'prefix': {
      const prefix = pattern.slice(0, -2);
      return { kind, test: (path) => path.startsWith(prefix) };
    }
    case 'suffix': {
      const suffix = pattern.slice(2);
      // `**/foo` also matches `foo` itself
      return { kind, test: (path) => path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1)) };
    }
    case 'regexp': {
      let regexp: RegExp;
      try {
        regexp = new RegExp(`${re}$`, 'u');
      } catch {
        throw new PatternSyntaxError(`syntax error in pattern ${JSON.stringify(pattern)}`);
      }
      return { kind, test: (path) => regexp.test(path) };
    }
  }
}

function codePoint(ch: string): string {
  return `\\u{${ch.codePointAt(0)?.toString(16)}}`;
}

function isAsciiPunct(ch: string): boolean {
  return ch.length === 1 && ch < '\x80' && !/[0-9A-Za-z]/.test(ch);
}

function escapeOutsideClass(ch: string): string {
  if (isAsciiPunct(ch)) return codePoint(ch);
  if (ch in CONTROL) return codePoint(CONTROL[ch]);
  if (ch === 'b' || ch === 'B') return `\\${ch}`;
  const lower = ch.toLowerCase();
  if (lower in PERL_CLASS) return `[${ch === lower ? '' : '^'}${PERL_CLASS[lower]}]`;
  throw new PatternSyntaxError(`unsupported escape "\\${ch}" in pattern`);
}

function classMember(chars: readonly string[], i: number): { source: string; end: number } {
  let ch = chars[i];
  if (ch !== '\\') return { source: codePoint(ch), end: i + 1 };
  ch = chars[i + 1];
  if (isAsciiPunct(ch)) return { source: codePoint(ch), end: i + 2 };
  if (ch in CONTROL) return { source: codePoint(CONTROL[ch]), end: i + 2 };
  if (ch in PERL_CLASS) return { source: PERL_CLASS[ch], end: i + 2 };
  throw new PatternSyntaxError(`unsupported escape "\\${ch}" in pattern`);
}

/** `[...]` starting after the `[`, already validated: `^` negates, `a-z` ranges, `\x` quotes. */
function translateClass(chars: readonly string[], start: number): { source: string; end: number } {
  let i = start;
  let source = '[';
  if (chars[i] === '^') {
    source += '^';
    i++;
  }
  let members = 0;
  while (!(chars[i] === ']' && members > 0)) {
    const lo = classMember(chars, i);
    source += lo.source;
    i = lo.end;
    if (chars[i] === '-') {
      const hi = classMember(chars, i + 1);
      source += `-${hi.source}`;
      i = hi.end;
    }
    members++;
  }
  return { source: `${source}]`, end: i + 1 };
}

/**
 * The syntax check Docker runs through Go's filepath.Match: no trailing `\`,
 * and every `[...]` closed, non-empty, with no bare `-` or `]` where a
 * character is expected.
 */
function validateGlob(pattern: string): void {
  const chars = Array.from(pattern);
  const bad = (): never => {
    throw new PatternSyntaxError(`syntax error in pattern ${JSON.stringify(pattern)}`);
  };
  // One class character, possibly escaped; returns the index after it.
  const classChar = (i: number): number => {
    if (i >= chars.length || chars[i] === '-' || chars[i] === ']') bad();
    if (chars[i] === '\\') i++;
    if (i >= chars.length) bad();
    return i + 1;
  };
  for (let i = 0; i < chars.length; ) {
    const ch = chars[i++];
    if (ch === '\\') {
      if (i >= chars.length) bad();
      i++;
    } else if (ch === '[') {
      if (chars[i] === '^') i++;
      let ranges = 0;
      for (;;) {
        if (i >= chars.length) bad();
        if (chars[i] === ']' && ranges > 0) {
          i++;
          break;
        }
        i = classChar(i);
        if (chars[i] === '-') i = classChar(i + 1);
        ranges++;
      }
    }
  }
}
