/**
 * Shell-word expansion as the Dockerfile front end does it (BuildKit's
 * `shell.Lex`): quotes, escapes, `$v`/`${v}` and the `${v...}` modifiers, then
 * optional splitting into words. No command substitution, no arithmetic, no
 * tilde or glob expansion: those are left to the shell of RUN/CMD/ENTRYPOINT.
 */
import { RequiredVariableError, ShellSyntaxError } from './errors';
import { PatternError, replaceAll, replaceFirst, trimPrefix, trimSuffix } from './pattern';

export type EscapeToken = '\\' | '`';
export type ShellEnv = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export interface ShellLexOptions {
  /** Keep quote characters in the result (BuildKit's RawQuotes). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result (RawEscapes). */
  rawEscapes?: boolean;
  /** Treat `'` and `"` as ordinary characters (SkipProcessQuotes, used for heredocs). */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written (SkipUnsetEnv). */
  skipUnsetEnv?: boolean;
}

export interface ExpandResult {
  /** The expanded word, quotes removed, inner spaces kept. */
  readonly result: string;
  /** The expansion split into words at unquoted white space. */
  readonly words: string[];
  /** Variables that were referenced and set. */
  readonly matched: ReadonlySet<string>;
  /** Variables that were referenced but unset (for lint warnings). */
  readonly unmatched: ReadonlySet<string>;
}

const EOF = '';

/** Internal failure, wrapped into a BerthError naming the whole word by `ShellLex`. */
class Failure extends Error {
  constructor(
    readonly reason: string,
    readonly variable?: string,
  ) {
    super(reason);
  }
}

export class ShellLex {
  readonly escapeToken: EscapeToken;
  rawQuotes: boolean;
  rawEscapes: boolean;
  skipProcessQuotes: boolean;
  skipUnsetEnv: boolean;

  constructor(escapeToken: EscapeToken = '\\', options: ShellLexOptions = {}) {
    this.escapeToken = escapeToken;
    this.rawQuotes = options.rawQuotes ?? false;
    this.rawEscapes = options.rawEscapes ?? false;
    this.skipProcessQuotes = options.skipProcessQuotes ?? false;
    this.skipUnsetEnv = options.skipUnsetEnv ?? false;
  }

  /** Expands one word; quotes removed; as BuildKit's ProcessWord. */
  processWord(word: string, env: ShellEnv): string {
    return this.expand(word, env).result;
  }

  /** Expands and splits into words; as BuildKit's ProcessWords. */
  processWords(word: string, env: ShellEnv): string[] {
    return this.expand(word, env).words;
  }

  /** Expands `word` and reports which variables it used. Throws ShellSyntaxError or RequiredVariableError. */
  expand(word: string, env: ShellEnv): ExpandResult {
    const state = new WordState(this, word, env);
    try {
      const { result, words } = state.processStopOn(EOF, this.rawEscapes);
      return { result, words, matched: state.matched, unmatched: state.unmatched };
    } catch (err) {
      if (err instanceof Failure) {
        if (err.variable !== undefined) throw new RequiredVariableError(word, err.variable, err.reason);
        throw new ShellSyntaxError(word, err.reason);
      }
      throw err;
    }
  }
}

const SPACE = /\p{White_Space}/u; // Go's unicode.IsSpace
const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

// ASCII fast paths: Unicode property regexps cost a lot per character.
function isSpace(ch: string): boolean {
  return ch < '\x80' ? ch === ' ' || (ch >= '\t' && ch <= '\r') : SPACE.test(ch);
}

function isDigit(ch: string): boolean {
  return ch < '\x80' ? ch >= '0' && ch <= '9' : DIGIT.test(ch);
}

function isNameChar(ch: string): boolean {
  if (ch < '\x80') return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch === '_';
  return LETTER.test(ch) || DIGIT.test(ch);
}
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

/** Accumulates the split words: unquoted white space ends a word, quoted text never does. */
class Words {
  private word = '';
  private inWord = false;
  private readonly words: string[] = [];

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.word.length !== 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else {
      this.addRawString(ch);
    }
  }

  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }

  addRawString(s: string): void {
    this.word += s;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    }
    return this.words;
  }
}

/** One expansion: a code-point scanner over the word plus the lexer's settings. */
class WordState {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;

  constructor(
    private readonly lex: ShellLex,
    word: string,
    private readonly env: ShellEnv,
  ) {
    this.chars = Array.from(word);
    // Go's text/scanner, which BuildKit reads the word with, skips a leading BOM.
    if (this.chars[0] === '\uFEFF') this.pos = 1;
    this.rawEscapes = lex.rawEscapes;
  }

  private peek(): string {
    return this.pos < this.chars.length ? this.chars[this.pos] : EOF;
  }

  private next(): string {
    return this.pos < this.chars.length ? this.chars[this.pos++] : EOF;
  }

  /** Reads up to the unquoted, unescaped `stopChar` (consumed), or to the end when it is EOF. */
  processStopOn(stopChar: string, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.scan(stopChar);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private scan(stopChar: string): { result: string; words: string[] } {
    const esc = this.lex.escapeToken;
    const quotes = !this.lex.skipProcessQuotes;
    const words = new Words();
    let result = '';
    while (this.peek() !== EOF) {
      let ch = this.peek();
      if (stopChar !== EOF && ch === stopChar) {
        this.next();
        return { result, words: words.finish() };
      }
      if (ch === '$') {
        const value = this.processDollar();
        result += value;
        words.addString(value);
      } else if (quotes && (ch === "'" || ch === '"')) {
        const value = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
        result += value;
        words.addRawString(value);
      } else {
        ch = this.next();
        if (ch === esc) {
          if (this.rawEscapes) {
            words.addRawString(ch);
            result += ch;
          }
          // The escape character quotes the next one; at the very end it vanishes.
          ch = this.next();
          if (ch === EOF) break;
          words.addRawString(ch);
        } else {
          words.addChar(ch);
        }
        result += ch;
      }
    }
    if (stopChar !== EOF) throw new Failure(`unexpected end of statement while looking for matching ${stopChar}`);
    return { result, words: words.finish() };
  }

  /** Everything up to the next `'` is literal; a `'` cannot be escaped inside. */
  private processSingleQuote(): string {
    let result = '';
    const open = this.next();
    if (this.lex.rawQuotes) result += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new Failure('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.lex.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  /** `$` expands inside double quotes; the escape character quotes only `"`, `$` and itself. */
  private processDoubleQuote(): string {
    const esc = this.lex.escapeToken;
    let result = '';
    const open = this.next();
    if (this.lex.rawQuotes) result += open;
    for (;;) {
      const peeked = this.peek();
      if (peeked === EOF) throw new Failure('unexpected end of statement while looking for matching double-quote');
      if (peeked === '"') {
        const close = this.next();
        if (this.lex.rawQuotes) result += close;
        return result;
      }
      if (peeked === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next();
      if (ch === esc) {
        if (this.rawEscapes) result += ch;
        const after = this.peek();
        if (after === EOF) continue; // an escape at the very end is dropped
        if (after === '"' || after === '$' || after === esc) ch = this.next();
      }
      result += ch;
    }
  }

  private processDollar(): string {
    this.next(); // '$'
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return `$${name}`;
      return value ?? '';
    }
    this.next(); // '{'
    const first = this.peek();
    if (first === EOF) throw new Failure("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new Failure('syntax error: bad substitution');

    const name = this.processName();
    let ch = this.next();
    if (ch === EOF) throw new Failure("syntax error: missing '}'");
    let modifier = ch;
    if (ch === '}') {
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}}`;
      return value ?? '';
    }
    if (ch === '/') return this.processReplace(name);

    let nullIsUnset = false;
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      modifier += ch;
    } else if (!'+-?#%'.includes(ch)) {
      throw new Failure(`unsupported modifier (${modifier}) in substitution`);
    }
    // `#` and `%` take a glob pattern, in which escapes must survive for the matcher.
    let word = this.processStopOnOrMissing('}', ch === '#' || ch === '%', "syntax error: missing '}'");
    const value = this.getEnv(name);
    if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}${modifier}${word}}`;
    const unset = value === undefined || (nullIsUnset && value === '');

    switch (ch) {
      case '-':
        return unset ? word : (value ?? '');
      case '+':
        return unset ? '' : word;
      case '?':
        if (value === undefined) throw new Failure(word || 'is not allowed to be unset', name);
        if (unset) throw new Failure(word || 'is not allowed to be empty', name);
        return value;
      case '#':
      case '%': {
        // `##`/`%%` remove the longest match, `#`/`%` the shortest.
        const greedy = word.startsWith(ch);
        if (greedy) word = word.slice(1);
        try {
          return ch === '%' ? trimSuffix(word, value ?? '', greedy) : trimPrefix(word, value ?? '', greedy);
        } catch (err) {
          throw patternFailure(err, word);
        }
      }
      default:
        throw new Failure(`unsupported modifier (${modifier}) in substitution`);
    }
  }

  /** `${v/p/r}` and `${v//p/r}`. */
  private processReplace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    const pattern = this.processStopOnOrMissing('/', true, "syntax error: missing '/' in ${}");
    const replacement = this.processStopOnOrMissing('}', true, "syntax error: missing '}'");
    const value = this.getEnv(name);
    if (value === undefined && this.lex.skipUnsetEnv) {
      // BuildKit writes `${v/p/r}` here even for `//`; we keep the form as written.
      return `\${${name}${all ? '//' : '/'}${pattern}/${replacement}}`;
    }
    try {
      return all ? replaceAll(pattern, value ?? '', replacement) : replaceFirst(pattern, value ?? '', replacement);
    } catch (err) {
      throw patternFailure(err, pattern);
    }
  }

  /** processStopOn, reporting a failure that ran to the end of the word as `missing`. */
  private processStopOnOrMissing(stopChar: string, rawEscapes: boolean, missing: string): string {
    try {
      return this.processStopOn(stopChar, rawEscapes).result;
    } catch (err) {
      if (err instanceof Failure && this.peek() === EOF) throw new Failure(missing);
      throw err;
    }
  }

  /** A name: letters, digits, `_`; or all the digits of a positional parameter; or one special parameter. */
  private processName(): string {
    let name = '';
    for (let ch = this.peek(); ch !== EOF; ch = this.peek()) {
      if (name === '' && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name === '' && SPECIAL_PARAMS.has(ch)) return this.next();
      if (!isNameChar(ch)) break;
      name += this.next();
    }
    return name;
  }

  private getEnv(name: string): string | undefined {
    const env = this.env;
    let value: string | undefined;
    if (isMap(env)) value = env.get(name);
    else if (Object.prototype.hasOwnProperty.call(env, name)) value = env[name];
    if (value === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return value;
  }
}

function isMap(env: ShellEnv): env is ReadonlyMap<string, string> {
  // A record's values are strings, so a callable `get` means a map.
  return typeof (env as { get?: unknown }).get === 'function';
}

function patternFailure(err: unknown, pattern: string): unknown {
  if (err instanceof PatternError || err instanceof SyntaxError) {
    return new Failure(`invalid pattern (${pattern}) in substitution: ${err.message}`);
  }
  return err;
}
