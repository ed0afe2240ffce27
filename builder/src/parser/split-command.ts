import { asGoBytes, fromGoBytes, isGoSpaceCode, trimSpace } from './go-text';

/** BuildKit splits the keyword off at [\t\v\f\r ]+ (not at newlines or Unicode spaces). */
const isTokenSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c || c === 0x0d;

const NO_FLAGS: readonly string[] = Object.freeze([]);

export interface SplitCommand {
  readonly keyword: string;
  readonly flags: readonly string[];
  readonly rest: string;
}

/** Splits a logical line into keyword, leading `--flags`, and the rest. */
export function splitCommand(line: string): SplitCommand {
  const trimmed = trimSpace(line);
  let end = 0;
  while (end < trimmed.length && !isTokenSpace(trimmed.charCodeAt(end))) end++;
  if (end === trimmed.length) return { keyword: trimmed, flags: NO_FLAGS, rest: '' };
  let start = end;
  while (start < trimmed.length && isTokenSpace(trimmed.charCodeAt(start))) start++;
  const keyword = trimmed.slice(0, end);
  // BuildKit scans flags byte by byte: a flag with non-ASCII text keeps one
  // character per UTF-8 byte (so `--chown=é` dumps as "--chown=Ã©"), as there.
  const { rest, flags } = asGoBytes(trimmed.slice(start), extractFlags);
  return { keyword, flags, rest: trimSpace(fromGoBytes(rest)) };
}

/**
 * Takes the words that start with `--` off the front of the arguments.
 * Quotes group and are removed, a backslash escapes the next character
 * (whatever the escape directive says, as in BuildKit), and a bare `--`
 * ends the flags.
 */
function extractFlags(line: string): { rest: string; flags: readonly string[] } {
  let flags: readonly string[] = NO_FLAGS;
  let pos = 0;
  while (true) {
    while (pos < line.length && isGoSpaceCode(line.charCodeAt(pos))) pos++;
    if (pos >= line.length) return { rest: '', flags };
    if (!line.startsWith('--', pos)) return { rest: line.slice(pos), flags };
    // The word is built from slices between quotes and escapes (most flags have none).
    let word = '';
    let seg = pos;
    let quote = 0;
    let blankOK = false;
    for (; pos < line.length; pos++) {
      const c = line.charCodeAt(pos);
      if (quote === 0) {
        if (isGoSpaceCode(c)) break;
        if (c === 0x22 || c === 0x27) {
          word += line.slice(seg, pos);
          quote = c;
          blankOK = true;
          seg = pos + 1;
          continue;
        }
      } else if (c === quote) {
        word += line.slice(seg, pos);
        quote = 0;
        seg = pos + 1;
        continue;
      }
      if (c === 0x5c /* \ */) {
        word += line.slice(seg, pos);
        if (pos + 1 === line.length) {
          quote = 0; // a backslash at the very end is dropped
          seg = pos + 1;
          continue;
        }
        pos++; // the next character is taken as it is
        seg = pos;
      }
    }
    word += line.slice(seg, pos);
    if (pos >= line.length) {
      // End of input inside the flags: nothing left for the arguments.
      if (word !== '--' && (blankOK || word.length > 0)) flags = [...flags, word];
      return { rest: '', flags };
    }
    if (word === '--') return { rest: line.slice(pos), flags };
    if (blankOK || word.length > 0) flags = [...flags, word];
  }
}
