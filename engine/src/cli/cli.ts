import { Builtins, Cli, type CommandClass } from 'clipanion';
import type { BerthContext } from './context';
import { GlobalOptionError, parseGlobalOptions } from './global-options';
import { berthVersion } from '../version';

/* eslint-disable @typescript-eslint/no-require-imports --
 * The command modules load on demand, with require(): each command line needs
 * one or a few of them, and under Node16 + CommonJS a dynamic import() goes
 * through the ESM loader (which lexes every module it loads), costing more. */
type Commands = CommandClass<BerthContext>[];
const imageCommands = (): Commands => [
  require('./commands/pull').PullCommand,
  require('./commands/push').PushCommand,
  require('./commands/images').ImagesCommand,
  require('./commands/tag').TagCommand,
  require('./commands/rmi').RmiCommand,
  require('./commands/image/inspect').ImageInspectCommand,
  require('./commands/history').HistoryCommand,
  require('./commands/image/prune').ImagePruneCommand,
  require('./commands/save').SaveCommand,
  require('./commands/load').LoadCommand,
];
const runCommands = (): Commands => [require('./commands/run').RunCommand];
const systemCommands = (): Commands => [require('./commands/system/df').SystemDfCommand, require('./commands/system/check').SystemCheckCommand];

/**
 * The commands a command line can reach, by its first word (the first word of
 * every path of those commands). A word not listed (help, a typo) loads them all,
 * so clipanion can list them or suggest one.
 */
const COMMANDS_BY_WORD: Record<string, () => Commands> = {
  build: () => [require('./commands/build').BuildCommand],
  pull: () => [require('./commands/pull').PullCommand],
  push: () => [require('./commands/push').PushCommand],
  images: () => [require('./commands/images').ImagesCommand],
  tag: () => [require('./commands/tag').TagCommand],
  rmi: () => [require('./commands/rmi').RmiCommand],
  history: () => [require('./commands/history').HistoryCommand],
  save: () => [require('./commands/save').SaveCommand],
  load: () => [require('./commands/load').LoadCommand],
  login: () => [require('./commands/login').LoginCommand],
  logout: () => [require('./commands/logout').LogoutCommand],
  image: imageCommands,
  run: runCommands,
  container: runCommands,
  system: systemCommands,
  '--version': () => [require('./commands/version').VersionCommand],
  '-v': () => [require('./commands/version').VersionCommand],
};

/** Every command, in the order `berth --help` lists them. */
function allCommands(): Commands {
  const w = COMMANDS_BY_WORD;
  return [...w['--version'](), ...w.build(), ...imageCommands(), ...w.login(), ...w.logout(), ...systemCommands(), ...runCommands()];
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The CLI with every command, or, given the command line (after the global
 * options), only the commands it can reach: berth's start-up then loads one
 * command module, not all of them.
 */
export function createCli(args?: readonly string[]): Cli<BerthContext> {
  const cli = new Cli<BerthContext>({
    binaryLabel: 'berth',
    binaryName: 'berth',
    binaryVersion: berthVersion(),
    // Colours only on a terminal, and never with NO_COLOR (https://no-color.org).
    enableColors: Boolean(process.stdout.isTTY) && process.env['NO_COLOR'] === undefined,
  });
  cli.register(Builtins.HelpCommand);
  const word = args?.[0];
  const narrow = word !== undefined && Object.hasOwn(COMMANDS_BY_WORD, word) ? COMMANDS_BY_WORD[word] : undefined;
  for (const c of narrow ? narrow() : allCommands()) cli.register(c);
  return cli;
}

/** Docker's exit status for a command line it cannot parse (the command never ran). */
export const EXIT_USAGE = 125;

/**
 * Runs `berth [--root DIR] <argv>` and resolves to the exit code. The store
 * root is `--root`, else BERTH_ROOT, else /var/lib/berth.
 */
export async function runCli(argv: readonly string[], context: Partial<BerthContext> = {}): Promise<number> {
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
  const cli = createCli(args);
  try {
    cli.process(args, ctx);
  } catch (err) {
    ctx.stderr.write(cli.error(err as Error));
    return EXIT_USAGE;
  }
  return cli.run(args, ctx);
}
