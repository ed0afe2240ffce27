import { isGoSpace, trimSpace } from './go-text';

const TOKEN_WHITESPACE = /[\t\v\f\r ]+/;

export interface SplitCommand {
  readonly keyword: string;
  readonly flags: string[];
  readonly rest: string;
}

/** Splits a logical line into keyword, leading `--flags`, and the rest. */
export function splitCommand(line: string): SplitCommand {
  const trimmed = trimSpace(line);
  const m = TOKEN_WHITESPACE.exec(trimmed);
  if (!m) return { keyword: trimmed, flags: [], rest: '' };
  const keyword = trimmed.slice(0, m.index);
  const { rest, flags } = extractFlags(trimmed.slice(m.index + m[0].length));
  return { keyword, flags, rest: trimSpace(rest) };
}

/**
 * Takes the words that start with `--` off the front of the arguments.
 * Quotes group and are removed, a backslash escapes the next character
 * (whatever the escape directive says, as in BuildKit), and a bare `--`
 * ends the flags.
 */
function extractFlags(line: string): { rest: string; flags: string[] } {
  const flags: string[] = [];
  let pos = 0;
  while (true) {
    while (pos < line.length && isGoSpace(line[pos] as string)) pos++;
    if (pos >= line.length) return { rest: '', flags };
    if (!line.startsWith('--', pos)) return { rest: line.slice(pos), flags };
    let word = '';
    let quote = '';
    let blankOK = false;
    for (; pos < line.length; pos++) {
      let ch = line[pos] as string;
      if (quote === '') {
        if (isGoSpace(ch)) break;
        if (ch === '"' || ch === "'") {
          quote = ch;
          blankOK = true;
          continue;
        }
      } else if (ch === quote) {
        quote = '';
        continue;
      }
      if (ch === '\\') {
        if (pos + 1 === line.length) {
          quote = '';
          continue; // a backslash at the very end is dropped
        }
        ch = line[++pos] as string;
      }
      word += ch;
    }
    if (pos >= line.length) {
      // End of input inside the flags: nothing left for the arguments.
      if (word !== '--' && (blankOK || word.length > 0)) flags.push(word);
      return { rest: '', flags };
    }
    if (word === '--') return { rest: line.slice(pos), flags };
    if (blankOK || word.length > 0) flags.push(word);
  }
}
