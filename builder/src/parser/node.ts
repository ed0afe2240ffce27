import type { SourceRange } from './errors';

/** A here-document attached to RUN, COPY or ADD (`<<EOF` ... `EOF`). */
export interface Heredoc {
  /** The delimiter word with quotes removed: `EOF` for `<<"EOF"`. */
  readonly name: string;
  /** `3` for `3<<EOF`; 0 when not given. */
  readonly fileDescriptor: number;
  /** False when any part of the delimiter was quoted: the body is taken literally. */
  readonly expand: boolean;
  /** `<<-`: leading tabs are stripped from the body (and allowed before the delimiter). */
  readonly chomp: boolean;
  /** The body, line endings kept, delimiter line excluded. */
  readonly content: string;
}

/** A parser directive (`# syntax=`, `# escape=`, `# check=`) at the top of the file. */
export interface Directive {
  /** Lower-cased key. */
  readonly name: 'syntax' | 'escape' | 'check';
  readonly value: string;
  readonly line: number;
}

/**
 * One instruction as the parser sees it: keyword, `--flags`, and arguments
 * split by that keyword's grammar, not yet typed or expanded.
 * BuildKit keeps this as a linked list; an array says the same thing.
 */
export interface InstructionNode {
  /** The keyword as written (`from`, `FROM`, `From`); compare lower-cased. */
  readonly keyword: string;
  /** Leading `--name=value` words, as written (quotes removed). */
  readonly flags: readonly string[];
  /** Arguments. For ENV and LABEL: triples of key, value, and "=" or "" (old `KEY value` form). */
  readonly args: readonly string[];
  /** ONBUILD's trigger instruction. */
  readonly sub?: InstructionNode;
  /** The arguments came from a JSON array (exec form). */
  readonly json: boolean;
  readonly heredocs: readonly Heredoc[];
  /** The logical line after continuations were joined. */
  readonly original: string;
  /** First and last physical line (1-based), heredoc bodies included. */
  readonly startLine: number;
  readonly endLine: number;
  /** Comment lines right before the instruction, `#` removed. */
  readonly comments: readonly string[];
}

export interface ParseWarning {
  /** The lint rule this falls under (as BuildKit names it). */
  readonly rule: string;
  readonly message: string;
  readonly line: number;
  readonly url?: string;
}

export interface DockerfileAst {
  readonly file: string;
  readonly instructions: readonly InstructionNode[];
  readonly directives: readonly Directive[];
  readonly escapeToken: '\\' | '`';
  readonly warnings: readonly ParseWarning[];
  readonly startLine: number;
  readonly endLine: number;
}

/** Where an instruction is, for error messages. */
export function rangeOf(file: string, node: InstructionNode): SourceRange {
  return { file, startLine: node.startLine, endLine: node.endLine };
}
