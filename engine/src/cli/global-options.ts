/**
 * Global options, which Docker takes before the command name
 * (`berth --root /tmp/x images`). clipanion has no global options, so they
 * are taken off argv before it parses the rest.
 */
export interface GlobalOptions {
  root: string | undefined;
  rest: string[];
}

export class GlobalOptionError extends Error {}

export function parseGlobalOptions(argv: readonly string[]): GlobalOptions {
  let root: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--root') {
      const value = argv[i + 1];
      if (value === undefined || value === '') throw new GlobalOptionError('flag needs an argument: --root');
      root = value;
      i++;
    } else if (arg.startsWith('--root=')) {
      root = arg.slice('--root='.length);
      if (root === '') throw new GlobalOptionError('flag needs an argument: --root');
    } else {
      break;
    }
  }
  return { root, rest: argv.slice(i) };
}
