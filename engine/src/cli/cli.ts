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

/** Runs `berth <argv>` and resolves to the exit code. */
export async function runCli(argv: readonly string[], context: Partial<BaseContext> = {}): Promise<number> {
  return createCli().run([...argv], { ...Cli.defaultContext, ...context });
}
