/**
 * Command lines berth runs without clipanion: `[--root DIR] run ...` and
 * `container run ...` in the spellings run-options.ts knows. clipanion and
 * the other command modules then never load; everything else (and any run
 * command line the small parser is unsure of) goes to the full CLI.
 */
import { GlobalOptionError, parseGlobalOptions } from './global-options';
import { executeRun } from './run-action';
import { parseRunArgs } from './run-options';

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
  const words = rest[0] === 'run' ? 1 : rest[0] === 'container' && rest[1] === 'run' ? 2 : 0;
  if (words === 0) return undefined;
  const options = parseRunArgs(rest.slice(words));
  if (options === undefined) return undefined;
  return executeRun(options, { stderr: process.stderr, root: globals.root });
}
