import { Builtins, Cli } from 'clipanion';
import { BuildCommand } from './commands/build';
import { HistoryCommand } from './commands/history';
import { ImageInspectCommand } from './commands/image/inspect';
import { ImagePruneCommand } from './commands/image/prune';
import { ImagesCommand } from './commands/images';
import { LoadCommand } from './commands/load';
import { LoginCommand } from './commands/login';
import { LogoutCommand } from './commands/logout';
import { PullCommand } from './commands/pull';
import { PushCommand } from './commands/push';
import { RmiCommand } from './commands/rmi';
import { RunCommand } from './commands/run';
import { SaveCommand } from './commands/save';
import { SystemCheckCommand } from './commands/system/check';
import { SystemDfCommand } from './commands/system/df';
import { TagCommand } from './commands/tag';
import { VersionCommand } from './commands/version';
import type { BerthContext } from './context';
import { GlobalOptionError, parseGlobalOptions } from './global-options';
import { berthVersion } from '../version';

export function createCli(): Cli<BerthContext> {
  const cli = new Cli<BerthContext>({
    binaryLabel: 'berth',
    binaryName: 'berth',
    binaryVersion: berthVersion(),
    // Colours only on a terminal, and never with NO_COLOR (https://no-color.org).
    enableColors: Boolean(process.stdout.isTTY) && process.env['NO_COLOR'] === undefined,
  });
  cli.register(Builtins.HelpCommand);
  cli.register(VersionCommand);
  cli.register(BuildCommand);
  const images = [PullCommand, PushCommand, ImagesCommand, TagCommand, RmiCommand, ImageInspectCommand, HistoryCommand, ImagePruneCommand];
  const commands = [...images, SaveCommand, LoadCommand, LoginCommand, LogoutCommand, SystemDfCommand, SystemCheckCommand];
  for (const c of commands) cli.register(c);
  cli.register(RunCommand);
  return cli;
}

/** Docker's exit status for a command line it cannot parse (the command never ran). */
export const EXIT_USAGE = 125;

/**
 * Runs `berth [--root DIR] <argv>` and resolves to the exit code. The store
 * root is `--root`, else BERTH_ROOT, else /var/lib/berth.
 */
export async function runCli(argv: readonly string[], context: Partial<BerthContext> = {}): Promise<number> {
  const cli = createCli();
  const base = { ...Cli.defaultContext, ...context };
  let globals;
  try {
    globals = parseGlobalOptions(argv);
  } catch (err) {
    if (!(err instanceof GlobalOptionError)) throw err;
    base.stderr.write(`berth: ${err.message}\nSee 'berth --help'.\n`);
    return EXIT_USAGE;
  }
  const ctx: BerthContext = { ...base, root: context.root ?? globals.root };
  // Like `docker` alone: the usage, successfully.
  const args = globals.rest.length === 0 ? ['--help'] : globals.rest;
  try {
    cli.process(args, ctx);
  } catch (err) {
    ctx.stderr.write(cli.error(err as Error));
    return EXIT_USAGE;
  }
  return cli.run(args, ctx);
}
