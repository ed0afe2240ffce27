/**
 * Command lines berth runs without clipanion: `[--root DIR] run ...` and
 * `container run ...` in the spellings run-options.ts knows, and `pull` /
 * `image pull` with plain arguments (pull-action.ts). clipanion and the other
 * command modules then never load; everything else (and any command line the
 * small parsers are unsure of) goes to the full CLI.
 */
import { GlobalOptionError, parseGlobalOptions } from './global-options';

/* eslint-disable @typescript-eslint/no-require-imports -- each command's modules load only for it */

/** The exit status of the command, or undefined when the full CLI must parse it. */
export function runHot(argv: readonly string[]): Promise<number> | undefined {
  let globals;
  try {
    globals = parseGlobalOptions(argv);
  } catch (err) {
    if (err instanceof GlobalOptionError) return undefined; // the full CLI reports it
    throw err;
  }
  const rest = globals.rest;
  const run = rest[0] === 'run' ? 1 : rest[0] === 'container' && rest[1] === 'run' ? 2 : 0;
  if (run !== 0) {
    const { parseRunArgs } = require('./run-options') as typeof import('./run-options');
    const options = parseRunArgs(rest.slice(run));
    if (options === undefined) return undefined;
    const { executeRun } = require('./run-action') as typeof import('./run-action');
    return executeRun(options, { stderr: process.stderr, root: globals.root });
  }
  const pull = rest[0] === 'pull' ? 1 : rest[0] === 'image' && rest[1] === 'pull' ? 2 : 0;
  if (pull !== 0) {
    const { executePull, parsePullArgs } = require('./pull-action') as typeof import('./pull-action');
    const options = parsePullArgs(rest.slice(pull));
    if (options === undefined) return undefined;
    // As BerthCommand.execute reports a failed command: one `Error: …` line, exit 1.
    return executePull(options, { stdout: process.stdout, root: globals.root }).catch((err: unknown) => {
      const e = err as Error;
      process.stderr.write(`Error: ${process.env['BERTH_DEBUG'] ? (e.stack ?? e.message) : e.message}\n`);
      return 1;
    });
  }
  return undefined;
}
