/**
 * The Dockerfile parser: physical lines to instruction nodes, as BuildKit's
 * frontend/dockerfile/parser does it (the de facto definition of the
 * language), so `dump(parse(x))` matches BuildKit's dump byte for byte.
 */
import { DirectiveScanner } from './directives';
import { DockerfileSyntaxError, type SourceRange } from './errors';
import { trimLeftSpace } from './go-text';
import { HeredocWordError, heredocsFromLine } from './heredoc';
import { LINE_PARSERS, LineParseError, parseIgnore } from './line-parsers';
import type { DockerfileAst, Heredoc, InstructionNode, ParseWarning } from './node';
import { splitCommand } from './split-command';

export interface ParseOptions {
  /** Name used in error messages and warnings; default `Dockerfile`. */
  readonly file?: string;
}

/** bufio.Scanner's limit: a line with its newline must fit in 64 KiB. */
export const MAX_LINE_BYTES = 64 * 1024 - 1;

const HEREDOC_KEYWORDS = new Set(['run', 'copy', 'add']);

/** Shared by every node without heredocs or comments: a 10,000-line file should not make 20,000 empty arrays. */
const NONE: readonly never[] = Object.freeze([]);

/** Physical lines with their newline kept (heredoc bodies need it). */
class LineReader {
  private pos = 0;
  /** 1-based number of the last line returned. */
  lineNumber = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  next(): string | null {
    if (this.pos >= this.text.length) return null;
    const nl = this.text.indexOf('\n', this.pos);
    const end = nl < 0 ? this.text.length : nl + 1;
    const line = this.text.slice(this.pos, end);
    this.pos = end;
    this.lineNumber++;
    // Cheap test first: UTF-8 never needs more than 3 bytes per UTF-16 unit.
    if (line.length * 3 > MAX_LINE_BYTES && Buffer.byteLength(line) - (nl < 0 ? 0 : 1) > MAX_LINE_BYTES) {
      throw new DockerfileSyntaxError(`dockerfile line greater than max allowed size of ${MAX_LINE_BYTES}`, this.here());
    }
    return line;
  }

  here(startLine = this.lineNumber): SourceRange {
    return { file: this.file, startLine, endLine: this.lineNumber };
  }
}

function trimNewline(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === '\n' || s[end - 1] === '\r')) end--;
  return s.slice(0, end);
}

function isComment(line: string): boolean {
  return trimLeftSpace(line).startsWith('#');
}

function continuationRegex(escape: string): RegExp {
  const e = '\\' + escape;
  // The escape token last on the line continues it, unless it is itself escaped.
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

/** Builds one node from a logical line; ONBUILD's trigger is parsed recursively. */
function nodeFromLine(line: string, escapeToken: string, where: SourceRange, comments: readonly string[]): InstructionNode {
  const { keyword, flags, rest } = splitCommand(line);
  const lower = keyword.toLowerCase();
  let args: string[] = [];
  let json = false;
  let sub: InstructionNode | undefined;
  if (lower === 'onbuild') {
    if (rest !== '') sub = nodeFromLine(rest, escapeToken, where, NONE);
  } else {
    const parser = LINE_PARSERS[lower] ?? parseIgnore;
    try {
      ({ args, json } = parser(rest, escapeToken));
    } catch (err) {
      if (err instanceof LineParseError) throw new DockerfileSyntaxError(err.message, where);
      throw err;
    }
  }
  // One object shape for every node (no conditional spread): V8 keeps this fast.
  return {
    keyword, flags, args, sub, json, heredocs: NONE, original: line,
    startLine: where.startLine, endLine: where.endLine, comments,
  };
}

function canContainHeredoc(node: InstructionNode): boolean {
  const target = node.keyword.toLowerCase() === 'onbuild' && node.sub ? node.sub : node;
  return HEREDOC_KEYWORDS.has(target.keyword.toLowerCase()) && !target.json;
}

/** Reads the bodies of the heredocs `line` opens, in order, from the lines that follow it. */
function readHeredocs(reader: LineReader, line: string, where: SourceRange): Heredoc[] {
  let docs: ReturnType<typeof heredocsFromLine>;
  try {
    docs = heredocsFromLine(line);
  } catch (err) {
    if (err instanceof HeredocWordError) throw new DockerfileSyntaxError(err.message, where);
    throw err;
  }
  const heredocs: Heredoc[] = [];
  for (const doc of docs) {
    let content = '';
    let terminated = false;
    let raw: string | null;
    while ((raw = reader.next()) !== null) {
      // The delimiter line is compared without its line ending (and tabs, for <<-).
      let candidate = trimNewline(raw);
      if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
      if (candidate === doc.name) {
        terminated = true;
        break;
      }
      content += raw;
    }
    if (!terminated) {
      throw new DockerfileSyntaxError(
        `unterminated heredoc: <<${doc.name} started on line ${where.startLine} has no closing ${doc.name} line`,
        reader.here(where.startLine),
      );
    }
    heredocs.push({ ...doc, content });
  }
  return heredocs;
}

/**
 * Parses a Dockerfile (text, or UTF-8 bytes as read from disk). Throws
 * DockerfileSyntaxError (with a line) when it is not a Dockerfile.
 */
export function parse(source: string | Uint8Array, options: ParseOptions = {}): DockerfileAst {
  const file = options.file ?? 'Dockerfile';
  const text = typeof source === 'string' ? source : new TextDecoder('utf-8').decode(source);
  const reader = new LineReader(text.startsWith('\ufeff') ? text.slice(1) : text, file);
  const directives = new DirectiveScanner();
  const warnings: ParseWarning[] = [];
  const instructions: InstructionNode[] = [];
  let escapeToken: '\\' | '`' = '\\';
  let continuation = continuationRegex(escapeToken);
  let comments: readonly string[] = NONE;

  const directiveAt = (line: string): boolean => {
    const found = directives.scan(line, reader.lineNumber);
    if (found === null) return false;
    if ('error' in found) throw new DockerfileSyntaxError(found.error, reader.here());
    if (found.name === 'escape') {
      if (found.value !== '\\' && found.value !== '`') {
        throw new DockerfileSyntaxError(`invalid escape token '${found.value}' does not match \` or \\`, reader.here());
      }
      escapeToken = found.value;
      continuation = continuationRegex(escapeToken);
    }
    return true;
  };
  /** The line without its continuation token, or null when the line does not continue. */
  const withoutContinuation = (line: string): string | null => {
    const m = continuation.exec(line);
    return m ? line.slice(0, m.index) + (m[1] ?? '') : null;
  };

  let raw: string | null;
  while ((raw = reader.next()) !== null) {
    const first = trimLeftSpace(trimNewline(raw));
    const comment = first.charCodeAt(0) === 0x23; /* # */
    if (comment) {
      // As BuildKit: the text after the line's first character, so "  # x" keeps its "#".
      const text = raw.slice(1).trim();
      comments = text === '' ? [] : [...comments, text];
    }
    if (directiveAt(first)) comments = comments.slice(0, -1);
    const startLine = reader.lineNumber;
    const content = comment ? '' : first;
    let line = withoutContinuation(content);
    let ended = line === null;
    if (line === null) {
      if (content === '') continue;
      line = content;
    }

    let emptyContinuation = false;
    while (!ended && (raw = reader.next()) !== null) {
      const physical = trimNewline(raw);
      directiveAt(physical);
      // Comment lines inside a continued instruction are dropped.
      if (isComment(physical)) continue;
      if (trimLeftSpace(physical) === '') {
        emptyContinuation = true;
        continue;
      }
      const piece = withoutContinuation(physical);
      ended = piece === null;
      line += piece ?? physical;
    }
    if (emptyContinuation) {
      warnings.push({
        rule: 'NoEmptyContinuation',
        message: `Empty continuation line found in: ${line}`,
        line: reader.lineNumber,
        url: 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/',
      });
    }

    const where = reader.here(startLine);
    let node = nodeFromLine(line, escapeToken, where, comments);
    if (canContainHeredoc(node) && line.includes('<<')) {
      node = { ...node, heredocs: readHeredocs(reader, line, where), endLine: reader.lineNumber };
    }
    instructions.push(node);
    comments = NONE;
  }

  if (instructions.length === 0) {
    throw new DockerfileSyntaxError('file with no instructions', { file, startLine: Math.max(reader.lineNumber, 1), endLine: reader.lineNumber });
  }
  return {
    file,
    instructions,
    directives: directives.found,
    escapeToken,
    warnings,
    startLine: (instructions[0] as InstructionNode).startLine,
    endLine: (instructions[instructions.length - 1] as InstructionNode).endLine,
  };
}
