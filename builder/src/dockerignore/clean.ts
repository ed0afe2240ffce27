/**
 * Go's `path.Clean` (what `filepath.Clean` is on Linux): one slash between
 * elements, no `.` elements, `..` resolved lexically, no trailing slash,
 * `.` for an empty result. Both Docker and BuildKit clean every ignore
 * pattern with it, so `./a`, `a/` and `a//b/..` mean `a`.
 */
// Matches anything Clean would change: `//`, a `.` or `..` element, a trailing `/`.
const UNCLEAN = /\/\/|(?:^|\/)\.\.?(?:\/|$)|.\/$/;

export function cleanPath(p: string): string {
  if (p === '') return '.';
  if (!UNCLEAN.test(p)) return p; // the common case: already clean
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Go's `path.Dir`: everything before the last slash, cleaned. */
export function dirPath(p: string): string {
  const i = p.lastIndexOf('/');
  return cleanPath(p.slice(0, i + 1));
}
