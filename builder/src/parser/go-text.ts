/**
 * Go's text helpers that the Dockerfile grammar is defined in terms of.
 * BuildKit is written in Go, so "whitespace", "printable" and "quoted" mean
 * what Go's unicode and strconv packages say, not what JavaScript says.
 */

/** unicode.IsSpace of one UTF-16 unit (every space is in the BMP); JS's \s differs (U+FEFF, U+0085). */
export function isGoSpaceCode(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85) return false;
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000;
}

export function isGoSpace(ch: string): boolean {
  return ch.length === 1 && isGoSpaceCode(ch.charCodeAt(0));
}

/** strings.TrimLeftFunc(s, unicode.IsSpace) */
export function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isGoSpaceCode(s.charCodeAt(i))) i++;
  return i === 0 ? s : s.slice(i);
}

/** strings.TrimSpace */
export function trimSpace(s: string): string {
  let i = 0;
  let j = s.length;
  while (i < j && isGoSpaceCode(s.charCodeAt(i))) i++;
  while (j > i && isGoSpaceCode(s.charCodeAt(j - 1))) j--;
  return i === 0 && j === s.length ? s : s.slice(i, j);
}

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Runs `fn` over the UTF-8 bytes of `s`, one byte per character, the way Go
 * code that indexes a string byte by byte sees it (`rune(s[i])`: a byte
 * 0x85 or 0xA0 inside a multi-byte character counts as a space, and each
 * byte becomes its own character). ASCII text is passed through untouched.
 */
export function asGoBytes<T>(s: string, fn: (bytes: string) => T): T {
  return NON_ASCII.test(s) ? fn(Buffer.from(s, 'utf8').toString('latin1')) : fn(s);
}

/** Back from asGoBytes' one-byte-per-character form to text. */
export function fromGoBytes(bytes: string): string {
  return NON_ASCII.test(bytes) ? Buffer.from(bytes, 'latin1').toString('utf8') : bytes;
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** strconv.IsPrint */
function isPrint(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
  if (cp <= 0xff) return cp >= 0xa1 && cp !== 0xad;
  return PRINTABLE.test(String.fromCodePoint(cp));
}

const SIMPLE_ESCAPES: Record<number, string> = {
  0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v',
  0x5c: '\\\\', 0x22: '\\"',
};

/** strconv.Quote: printable runes kept, the rest escaped as Go does. */
export function goQuote(s: string): string {
  let out = '"';
  let plainFrom = 0;
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    // A lone surrogate cannot come from UTF-8; Go would hold U+FFFD there.
    let esc: string | undefined = cp >= 0xd800 && cp <= 0xdfff ? '\ufffd' : SIMPLE_ESCAPES[cp];
    if (esc === undefined && !isPrint(cp)) {
      if (cp < 0x20 || cp === 0x7f) esc = '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp < 0x10000) esc = '\\u' + cp.toString(16).padStart(4, '0');
      else esc = '\\U' + cp.toString(16).padStart(8, '0');
    }
    if (esc !== undefined) {
      out += s.slice(plainFrom, i) + esc;
      plainFrom = i + width;
    }
    i += width;
  }
  return out + s.slice(plainFrom) + '"';
}

/** fmt's %q of a []string: `["a" "b"]`. */
export function goQuoteSlice(items: readonly string[]): string {
  return '[' + items.map(goQuote).join(' ') + ']';
}
