/**
 * Docker's .dockerignore decision (moby/patternmatcher): patterns apply in
 * order, a path is excluded when the last pattern that matches it (or one of
 * its parent directories) is a plain pattern, and re-included when that last
 * one is a `!` exception.
 */
import { cleanPath, dirPath } from './clean';
import { DockerignoreError } from './errors';
import { compilePattern, PatternSyntaxError, type CompiledPattern } from './pattern';

export interface Pattern {
  /** The cleaned pattern, without its `!` (patternmatcher's `String()`). */
  readonly pattern: string;
  /** A `!` line: re-includes what earlier lines excluded. */
  readonly exclusion: boolean;
  /** 1-based line in the ignore file; for patterns given as strings, their 1-based index. */
  readonly line: number;
}

/** What a walker remembers about a directory to match its children faster. */
export interface MatchInfo {
  readonly parentMatched: readonly boolean[];
}

interface Entry extends Pattern {
  readonly compiled: CompiledPattern;
  /** The text before the first wildcard: only paths starting with it can match. */
  readonly literalPrefix: string;
}

/**
 * Builds a Pattern from one line as patternmatcher.New does: trimmed, cleaned,
 * a leading `!` marking an exception. Throws DockerignoreError; returns
 * undefined for a blank line.
 */
export function compileLine(text: string, line: number, file?: string): (Pattern & { compiled: CompiledPattern }) | undefined {
  let p = text.trim();
  if (p === '') return undefined;
  p = cleanPath(p);
  let exclusion = false;
  if (p.startsWith('!')) {
    if (p.length === 1) throw new DockerignoreError('illegal exclusion pattern: "!"', { file, line });
    exclusion = true;
    p = p.slice(1);
  }
  try {
    return { pattern: p, exclusion, line, compiled: compilePattern(p) };
  } catch (err) {
    if (err instanceof PatternSyntaxError) throw new DockerignoreError(err.message, { file, line });
    throw err;
  }
}

export class PatternMatcher {
  private readonly entries: Entry[];
  /** Whether any pattern is a `!` exception. */
  readonly hasExclusions: boolean;

  /** Takes parsed patterns or raw lines (as patternmatcher.New does). */
  constructor(patterns: readonly (Pattern | string)[]) {
    this.entries = [];
    patterns.forEach((p, index) => {
      const compiled =
        typeof p === 'string'
          ? compileLine(p, index + 1)
          : compileLine(`${p.exclusion ? '!' : ''}${p.pattern}`, p.line);
      if (compiled) this.entries.push({ ...compiled, literalPrefix: literalPrefix(compiled.pattern) });
    });
    this.hasExclusions = this.entries.some((e) => e.exclusion);
  }

  get patterns(): readonly Pattern[] {
    return this.entries.map(({ pattern, exclusion, line }) => ({ pattern, exclusion, line }));
  }

  /**
   * Whether `path` (relative to the context, `/`-separated; a leading `/` or
   * `./` is ignored) is excluded from the build context. The context root
   * itself never is.
   */
  matches(path: string): boolean {
    return this.evaluate(normalize(path)).matched;
  }

  /**
   * The same decision for a walker that visits parents first: pass the info
   * returned for the parent directory (or nothing for top-level entries) to
   * avoid re-matching every parent (patternmatcher's MatchesUsingParentResults).
   */
  matchesWithParent(path: string, parent?: MatchInfo): { matched: boolean; info: MatchInfo } {
    if (parent && parent.parentMatched.length !== 0 && parent.parentMatched.length !== this.entries.length) {
      throw new DockerignoreError('match info comes from a different set of patterns');
    }
    const r = this.evaluate(normalize(path), parent?.parentMatched);
    return { matched: r.matched, info: { parentMatched: r.hits } };
  }

  /**
   * Whether a walker may skip the excluded directory `dir` without visiting
   * its contents: true only when nothing below it can be re-included. Unlike
   * Docker's prefix test this also accounts for exceptions with wildcards
   * (`!*\/keep`), so skipping never changes which files are sent.
   */
  canSkipDir(dir: string): boolean {
    const path = normalize(dir);
    const { matched, hits } = this.evaluate(path);
    if (!matched) return false;
    // Every pattern matching `dir` matches all paths below it, so only
    // exceptions after the last of those can change a child's outcome.
    const last = hits.lastIndexOf(true);
    const below = `${path}/`;
    for (let i = last + 1; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (!e.exclusion) continue;
      if (e.literalPrefix.startsWith(below) || below.startsWith(e.literalPrefix)) return false;
    }
    return true;
  }

  private evaluate(path: string, parentMatched?: readonly boolean[]): { matched: boolean; hits: boolean[] } {
    const hits = new Array<boolean>(this.entries.length).fill(false);
    if (path === '.' || path === '') return { matched: false, hits };
    const parent = dirPath(path);
    const parentDirs = parent === '.' ? [] : parent.split('/');
    let ancestors: string[] | undefined; // `a`, `a/b`, ... built once, on first need
    let matched = false;
    this.entries.forEach((e, i) => {
      let hit = parentMatched !== undefined && parentMatched.length !== 0 && parentMatched[i];
      if (!hit) {
        // A plain pattern cannot change an excluded path, nor an exception a kept one.
        if (e.exclusion !== matched) return;
        hit = e.compiled.test(path);
        if (!hit && (parentMatched === undefined || parentMatched.length === 0)) {
          ancestors ??= parentDirs.map((_, n) => parentDirs.slice(0, n + 1).join('/'));
          hit = ancestors.some((a) => e.compiled.test(a));
        }
      }
      hits[i] = hit;
      if (hit) matched = !e.exclusion;
    });
    return { matched, hits };
  }
}

function normalize(path: string): string {
  const p = cleanPath(path);
  return p.startsWith('/') ? cleanPath(p.slice(1)) : p;
}

function literalPrefix(pattern: string): string {
  // `^` is not literal: Go's regexp reads it as an anchor, which holds at the start.
  const i = pattern.search(/[*?[\\^]/);
  return i < 0 ? pattern : pattern.slice(0, i);
}
