import { chompHeredocContent, mustParseHeredocWord } from '../parser/heredoc';
import type { InlineFile, RunInstruction } from './types';

/**
 * How `RUN <<EOF` runs its body (BuildKit's rule): a body starting with
 * `#!` is written to a file and executed, so its interpreter runs it;
 * any other body is handed to the stage's SHELL as one script.
 */
export type RunScript =
  | { readonly kind: 'shebang'; readonly file: InlineFile }
  | { readonly kind: 'shell'; readonly script: string; readonly expand: boolean };

/** The script a RUN whose whole command is one heredoc (`RUN <<EOF`) runs; undefined otherwise. */
export function runScript(run: RunInstruction): RunScript | undefined {
  if (!run.prependShell || run.command.length !== 1 || run.files.length === 0) return undefined;
  const doc = mustParseHeredocWord((run.command[0] as string).trim());
  const file = doc ? run.files.find((f) => f.name === doc.name) : undefined;
  if (!file) return undefined;
  const data = file.chomp ? chompHeredocContent(file.data) : file.data;
  if (data.startsWith('#!')) return { kind: 'shebang', file: { ...file, data, chomp: false } };
  return { kind: 'shell', script: data, expand: file.expand };
}
