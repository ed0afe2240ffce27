/**
 * Per-keyword argument grammars (BuildKit's "line parsers"). Each turns the
 * text after the keyword and flags into argument strings; none expands
 * variables, that happens later, per instruction.
 */
import { asGoBytes, fromGoBytes, isGoSpaceCode, trimLeftSpace } from './go-text';

export interface LineParse {
  readonly args: string[];
  readonly json: boolean;
}

/** A problem in the arguments; the caller adds the location. */
export class LineParseError extends Error {}

const WHITESPACE = /[\t\v\f\r ]+/;
const NONE: LineParse = { args: [], json: false };

export type LineParser = (rest: string, escapeToken: string) => LineParse;

/**
 * Whitespace-separated words, quotes and escapes kept in the words: each
 * word is a slice of `rest` (quotes and escapes only decide where words end),
 * less an escape token that ends the input.
 */
export function parseWords(rest: string, escapeToken: string): string[] {
  const words: string[] = [];
  let start = -1;
  let quote = '';
  let end = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i] as string;
    if (start < 0) {
      if (isGoSpaceCode(rest.charCodeAt(i))) continue;
      start = i;
    }
    if (quote === '') {
      if (isGoSpaceCode(rest.charCodeAt(i))) {
        words.push(rest.slice(start, i));
        start = -1;
        continue;
      }
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === escapeToken) {
        if (i + 1 === rest.length) end = i; // an escape at the very end is dropped
        i++;
      }
      continue;
    }
    // Inside quotes: the escape token works, except in single quotes.
    if (ch === quote) quote = '';
    else if (ch === escapeToken && quote !== "'") {
      if (i + 1 === rest.length) end = i;
      i++;
    }
  }
  if (start >= 0 && end > start) words.push(rest.slice(start, end));
  return words;
}

/** ENV and LABEL: `KEY value` (old form, the rest of the line) or `k=v k2=v2`. */
function parseNameVal(keyword: string): LineParser {
  return (rest, escapeToken) => {
    const words = parseWords(rest, escapeToken);
    if (words.length === 0) return NONE;
    if (!(words[0] as string).includes('=')) {
      const m = WHITESPACE.exec(rest);
      if (!m) throw new LineParseError(`${keyword} must have two arguments`);
      return { args: [rest.slice(0, m.index), rest.slice(m.index + m[0].length), ''], json: false };
    }
    const args: string[] = [];
    for (const word of words) {
      const eq = word.indexOf('=');
      if (eq < 0) {
        throw new LineParseError(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
      }
      args.push(word.slice(0, eq), word.slice(eq + 1), '=');
    }
    return { args, json: false };
  };
}

const parseNameOrNameVal: LineParser = (rest, escapeToken) => ({ args: parseWords(rest, escapeToken), json: false });

/** Splits at runs of [\t\v\f\r ] (a regex split is slow in V8, and this runs per instruction). */
const isSplitSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c || c === 0x0d;

function splitWhitespace(rest: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < rest.length; i++) {
    if (isSplitSpace(rest.charCodeAt(i))) {
      out.push(rest.slice(from, i));
      while (i + 1 < rest.length && isSplitSpace(rest.charCodeAt(i + 1))) i++;
      from = i + 1;
    }
  }
  out.push(rest.slice(from));
  return out;
}

const parseStringsWhitespaceDelimited: LineParser = (rest) => (rest === '' ? NONE : { args: splitWhitespace(rest), json: false });

const parseString: LineParser = (rest) => (rest === '' ? NONE : { args: [rest], json: false });

export const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

/**
 * Finds where the JSON value that `s` starts with ends. Go's json.Decoder
 * reads one value and ignores what follows, so `["a"] junk` is exec form.
 */
function firstJSONValueEnd(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < s.length; i++) {
        const d = s.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
      if (i >= s.length) return -1;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
    } else if (c === 0x5d || c === 0x7d) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

/** A JSON array of strings, or null when `rest` is not one (shell form then applies). */
function parseJSONArray(rest: string): LineParse | null {
  const s = trimLeftSpace(rest);
  if (!s.startsWith('[')) return null;
  const end = firstJSONValueEnd(s);
  if (end < 0) return null;
  let value: unknown;
  try {
    value = JSON.parse(s.slice(0, end));
  } catch {
    return null;
  }
  if (!Array.isArray(value)) return null;
  const args: string[] = [];
  for (const item of value) {
    if (typeof item !== 'string') throw new LineParseError(NOT_STRING_ARRAY);
    args.push(item);
  }
  return { args, json: true };
}

/** RUN, CMD, ENTRYPOINT, SHELL: a JSON array, else the whole rest as one shell string. */
const parseMaybeJSON: LineParser = (rest) => {
  if (rest === '') return NONE;
  return parseJSONArray(rest) ?? { args: [rest], json: false };
};

/** COPY, ADD, VOLUME: a JSON array, else whitespace-separated words. */
const parseMaybeJSONToList: LineParser = (rest, escapeToken) =>
  parseJSONArray(rest) ?? parseStringsWhitespaceDelimited(rest, escapeToken);

/** HEALTHCHECK: a type word (CMD, NONE), then like CMD. */
const parseHealthConfig: LineParser = (rest, escapeToken) =>
  // Byte by byte, as BuildKit scans it.
  asGoBytes(rest, (bytes) => {
    let sep = 0;
    while (sep < bytes.length && !isGoSpaceCode(bytes.charCodeAt(sep))) sep++;
    if (sep === 0) return NONE;
    let next = sep;
    while (next < bytes.length && isGoSpaceCode(bytes.charCodeAt(next))) next++;
    const cmd = parseMaybeJSON(fromGoBytes(bytes.slice(next)), escapeToken);
    return { args: [fromGoBytes(bytes.slice(0, sep)), ...cmd.args], json: cmd.json };
  });

/** Grammars by lower-cased keyword; ONBUILD is handled by the parser itself. */
export const LINE_PARSERS: Readonly<Record<string, LineParser>> = {
  add: parseMaybeJSONToList,
  arg: parseNameOrNameVal,
  cmd: parseMaybeJSON,
  copy: parseMaybeJSONToList,
  entrypoint: parseMaybeJSON,
  env: parseNameVal('ENV'),
  expose: parseStringsWhitespaceDelimited,
  from: parseStringsWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: parseNameVal('LABEL'),
  maintainer: parseString,
  run: parseMaybeJSON,
  shell: parseMaybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJSONToList,
  workdir: parseString,
};

/** Unknown keywords keep one empty argument, which is how BuildKit dumps them. */
export const parseIgnore: LineParser = () => ({ args: [''], json: false });
