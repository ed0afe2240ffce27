import { Builtins, Cli, type BaseContext } from 'clipanion';
import { BuildCommand } from './commands/build';
import { VersionCommand } from './commands/version';
import { berthVersion } from '../version';

export function createCli(): Cli<BaseContext> {
  const cli = new Cli({
    binaryLabel: 'berth',
    binaryName: 'berth',
    binaryVersion: berthVersion(),
    // Colours only on a terminal, and never with NO_COLOR (https://no-color.org).
    enableColors: Boolean(process.stdout.isTTY) && process.env['NO_COLOR'] === undefined,
  });
  cli.register(Builtins.HelpCommand);
  cli.register(VersionCommand);
  cli.register(BuildCommand);
  return cli;
}

/** Docker's exit status for a command line it cannot parse (the command never ran). */
export const EXIT_USAGE = 125;

/** Runs `berth <argv>` and resolves to the exit code. */
export async function runCli(argv: readonly string[], context: Partial<BaseContext> = {}): Promise<number> {
  const cli = createCli();
  const ctx = { ...Cli.defaultContext, ...context };
  // Like `docker` alone: the usage, successfully.
  const args = argv.length === 0 ? ['--help'] : [...argv];
  try {
    cli.process(args, ctx);
  } catch (err) {
    ctx.stderr.write(cli.error(err as Error));
    return EXIT_USAGE;
  }
  return cli.run(args, ctx);
}
