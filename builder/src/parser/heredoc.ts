/**
 * Finding here-documents on a RUN/COPY/ADD line. BuildKit splits the line
 * into shell words (quotes, escapes and `$vars` kept as written), and each
 * word that looks like `[fd]<<[-]WORD` opens a heredoc; the bodies follow
 * the instruction line in the order the words appear.
 */
import { isGoSpace, isGoSpaceCode } from './go-text';
import type { Heredoc } from './node';

/** A heredoc delimiter with an unterminated quote (`<<'EOF`); the parser adds the line. */
export class HeredocWordError extends Error {}

const HEREDOC_WORD = /^(\d*)<<(-?)([^<]*)$/;

/** Splits like a shell, keeping every quote and escape in the words (so each word is a slice). */
export function rawShellWords(line: string): string[] {
  const words: string[] = [];
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (isGoSpaceCode(line.charCodeAt(i))) {
      if (start >= 0) words.push(line.slice(start, i));
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (ch === '\\') {
      i++;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      i = end < 0 ? line.length : end;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      i = Math.min(j, line.length);
    } else if (ch === '$' && line[i + 1] === '{') {
      const end = line.indexOf('}', i + 2);
      i = end < 0 ? line.length : end;
    }
  }
  if (start >= 0) words.push(line.slice(start));
  return words;
}

/**
 * The delimiter word: quotes removed, backslash escapes applied. Returns
 * the words it splits into and how many quote characters were removed.
 */
function unquoteWords(raw: string): { words: string[]; removedQuotes: boolean } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let removedQuotes = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (isGoSpace(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === '\\') {
      if (i + 1 < raw.length) word += raw[++i];
    } else if (ch === "'" || ch === '"') {
      removedQuotes = true;
      for (i++; i < raw.length && raw[i] !== ch; i++) {
        if (ch === '"' && raw[i] === '\\' && i + 1 < raw.length) i++;
        word += raw[i];
      }
      if (i >= raw.length) {
        const which = ch === "'" ? 'single' : 'double';
        throw new HeredocWordError(`unexpected end of statement while looking for matching ${which}-quote in heredoc <<${raw}`);
      }
    } else {
      word += ch;
    }
  }
  if (inWord) words.push(word);
  return { words, removedQuotes };
}

/** The heredoc a single word opens (`<<EOF`, `<<-"EOF"`, `3<<EOF`), or null. Throws HeredocWordError. */
export function parseHeredocWord(word: string): Omit<Heredoc, 'content'> | null {
  const m = HEREDOC_WORD.exec(word);
  if (!m || m[3] === '') return null;
  const { words, removedQuotes } = unquoteWords(m[3] as string);
  if (words.length !== 1 || words[0] === '') return null;
  return {
    name: words[0] as string,
    fileDescriptor: m[1] === '' ? 0 : Number(m[1]),
    expand: !removedQuotes,
    chomp: m[2] === '-',
  };
}

/** Every heredoc the line opens, in order. */
export function heredocsFromLine(line: string): Omit<Heredoc, 'content'>[] {
  const docs: Omit<Heredoc, 'content'>[] = [];
  for (const word of rawShellWords(line)) {
    const doc = parseHeredocWord(word);
    if (doc) docs.push(doc);
  }
  return docs;
}

/** `<<-` bodies lose the leading tabs of every line. */
export function chompHeredocContent(content: string): string {
  return content.replace(/^\t+/gm, '');
}

/** parseHeredocWord, with a malformed delimiter read as "not a heredoc" (BuildKit's MustParseHeredoc). */
export function mustParseHeredocWord(word: string): Omit<Heredoc, 'content'> | null {
  try {
    return parseHeredocWord(word);
  } catch (err) {
    if (err instanceof HeredocWordError) return null;
    throw err;
  }
}
