/**
 * The glob patterns of `${v#p}`, `${v%p}` and `${v/p/r}`: `*` and `?` only, no
 * bracket expressions, `\` quoting `*`, `?`, `\` (and `}` or `/`, which it
 * merely protects from ending the `${...}`). Translated to a RegExp the way
 * BuildKit translates them to Go regexps, so the same substring is removed.
 */

/** Thrown for a bad escape in a pattern; the lexer wraps it. */
export class PatternError extends Error {}

// Characters that are regexp syntax but literal in a shell pattern.
const REGEXP_META = new Set(['[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$']);
// Go's `.` is any character but a newline; JavaScript's also refuses \r, U+2028, U+2029.
const ANY = '[^\\n]';

export function shellPatternToRegExp(pattern: string, greedy: boolean, anchored: boolean, flags = 'u'): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '*') {
      out += greedy ? `${ANY}*` : `${ANY}*?`;
    } else if (ch === '?') {
      out += ANY;
    } else if (ch === '\\') {
      const next = chars[i + 1];
      if (next === '}' || next === '/') continue;
      if (next !== '*' && next !== '?' && next !== '\\') {
        throw new PatternError(`invalid escape '\\${next ?? ''}'`);
      }
      out += `\\${next}`;
      i++;
    } else if (REGEXP_META.has(ch)) {
      out += `\\${ch}`;
    } else {
      out += ch;
    }
  }
  return new RegExp(out, flags);
}

/** Reverses a pattern by code point, keeping each `\x` pair in order (`a\*c` -> `c\*a`). */
export function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const last = chars.length - 1;
  const out = new Array<string>(chars.length);
  for (let i = 0; i <= last; ) {
    const outIdx = last - i;
    if (chars[i] === '\\' && i !== last) {
      out[outIdx - 1] = '\\';
      out[outIdx] = chars[i + 1];
      i += 2;
    } else {
      out[outIdx] = chars[i];
      i++;
    }
  }
  return out.join('');
}

export function reverseString(s: string): string {
  return Array.from(s).reverse().join('');
}

/** `${v#p}` (shortest) and `${v##p}` (longest): drop the matching prefix. */
export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = shellPatternToRegExp(pattern, greedy, true).exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

/**
 * `${v%p}` and `${v%%p}`. A regexp cannot find the shortest match that ends at
 * the end, so both the value and the pattern are reversed into a prefix search.
 */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}

/** `${v/p/r}`: the leftmost match is replaced by `r`, literally. */
export function replaceFirst(pattern: string, value: string, replacement: string): string {
  const m = shellPatternToRegExp(pattern, true, false).exec(value);
  return m ? value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length) : value;
}

/**
 * `${v//p/r}`: every match replaced. BuildKit uses Go's ReplaceAllString, so
 * empty matches right after a match are skipped and `$0`, `${0}` and `$$` in
 * the replacement are expanded (other `$name`s are empty); kept for parity.
 */
export function replaceAll(pattern: string, value: string, replacement: string): string {
  const re = shellPatternToRegExp(pattern, true, false, 'gu');
  let out = '';
  let lastEnd = 0;
  let searchPos = 0;
  while (searchPos <= value.length) {
    re.lastIndex = searchPos;
    const m = re.exec(value);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    out += value.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += expandTemplate(replacement, m[0]);
    lastEnd = end;
    const cp = value.codePointAt(searchPos);
    const width = cp === undefined ? 1 : cp > 0xffff ? 2 : 1;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + value.slice(lastEnd);
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** Go's Regexp.Expand for a regexp whose only group is the whole match. */
function expandTemplate(template: string, match: string): string {
  let out = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) break;
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = extractName(rest);
    if (!ref) {
      out += '$';
      continue;
    }
    rest = ref.rest;
    if (ref.name === '0') out += match;
  }
  return out + rest;
}

function extractName(s: string): { name: string; rest: string } | undefined {
  const brace = s.startsWith('{');
  const chars = Array.from(brace ? s.slice(1) : s);
  let n = 0;
  while (n < chars.length && NAME_CHAR.test(chars[n])) n++;
  if (n === 0) return undefined;
  const name = chars.slice(0, n).join('');
  let consumed = (brace ? 1 : 0) + name.length;
  if (brace) {
    if (chars[n] !== '}') return undefined;
    consumed++;
  }
  return { name, rest: s.slice(consumed) };
}
