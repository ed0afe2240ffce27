/**
 * `berth run`'s options, and a parser for the command lines people and
 * scripts type (`run --rm -it -e K=V --network none IMAGE CMD...`) that needs
 * no clipanion: loading and compiling clipanion (with node:tty) was ~30 ms of
 * every `berth run`. Whatever this parser does not know for certain
 * (`--help`, `--no-rm`, `-eK=V`, a value that starts with `-`, an unknown
 * flag, a missing IMAGE) it leaves to clipanion, which then parses the whole
 * command line and reports errors as before. test/cli/run-options.test.ts
 * checks the two agree.
 *
 * Adding a run option: a field of RunOptions (TypeScript then asks for its
 * entry in RUN_FLAGS), the clipanion Option in commands/run.ts with the same
 * names, and its use in run-action.ts.
 */

export interface RunOptions {
  remove: boolean;
  interactive: boolean;
  tty: boolean;
  detach: boolean;
  env: string[];
  envFile: string[];
  entrypoint: string | undefined;
  name: string | undefined;
  workdir: string | undefined;
  user: string | undefined;
  hostname: string | undefined;
  readOnly: boolean;
  network: string;
  runtime: string;
  platform: string | undefined;
  init: boolean;
  securityOpt: string[];
  image: string;
  args: string[];
}

/** How a flag takes its value, and its value when absent (clipanion's default). */
export type RunFlag =
  | { names: readonly string[]; kind: 'boolean' }
  | { names: readonly string[]; kind: 'string'; default?: string }
  | { names: readonly string[]; kind: 'array' };

type FlagKey = Exclude<keyof RunOptions, 'image' | 'args'>;

/** Every option of `berth run`, named as in commands/run.ts. */
export const RUN_FLAGS: { readonly [K in FlagKey]: RunFlag } = {
  remove: { names: ['--rm'], kind: 'boolean' },
  interactive: { names: ['-i', '--interactive'], kind: 'boolean' },
  tty: { names: ['-t', '--tty'], kind: 'boolean' },
  detach: { names: ['-d', '--detach'], kind: 'boolean' },
  env: { names: ['-e', '--env'], kind: 'array' },
  envFile: { names: ['--env-file'], kind: 'array' },
  entrypoint: { names: ['--entrypoint'], kind: 'string' },
  name: { names: ['--name'], kind: 'string' },
  workdir: { names: ['-w', '--workdir'], kind: 'string' },
  user: { names: ['-u', '--user'], kind: 'string' },
  hostname: { names: ['-h', '--hostname'], kind: 'string' },
  readOnly: { names: ['--read-only'], kind: 'boolean' },
  network: { names: ['--network', '--net'], kind: 'string', default: 'host' },
  runtime: { names: ['--runtime'], kind: 'string', default: 'berth-runtime' },
  platform: { names: ['--platform'], kind: 'string' },
  init: { names: ['--init'], kind: 'boolean' },
  securityOpt: { names: ['--security-opt'], kind: 'array' },
};

let byName: Map<string, FlagKey> | undefined;
function flagNamed(name: string): FlagKey | undefined {
  if (!byName) {
    byName = new Map();
    for (const key of Object.keys(RUN_FLAGS) as FlagKey[]) for (const n of RUN_FLAGS[key].names) byName.set(n, key);
  }
  return byName.get(name);
}

function defaults(): Record<string, unknown> {
  const out: Record<string, unknown> = { image: '', args: [] };
  for (const key of Object.keys(RUN_FLAGS) as FlagKey[]) {
    const f = RUN_FLAGS[key];
    out[key] = f.kind === 'boolean' ? false : f.kind === 'array' ? [] : f.default;
  }
  return out;
}

/**
 * The options of `run ARGS` (ARGS after the word `run`), or undefined when
 * the command line needs clipanion (help, errors, rarer spellings).
 */
export function parseRunArgs(args: readonly string[]): RunOptions | undefined {
  const o = defaults();
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('-')) break;
    if (arg === '-') return undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const key = flagNamed(eq < 0 ? arg : arg.slice(0, eq));
      if (key === undefined) return undefined;
      const flag = RUN_FLAGS[key];
      if (flag.kind === 'boolean') {
        if (eq >= 0) return undefined;
        o[key] = true;
        continue;
      }
      let value: string;
      if (eq >= 0) {
        value = arg.slice(eq + 1);
      } else {
        const next = args[i + 1];
        if (next === undefined || next.startsWith('-')) return undefined;
        value = next;
        i++;
      }
      if (flag.kind === 'array') (o[key] as string[]).push(value);
      else o[key] = value;
      continue;
    }
    // -x VALUE, or a batch of one-letter booleans (-it)
    if (arg.length === 2) {
      const key = flagNamed(arg);
      if (key === undefined) return undefined;
      const flag = RUN_FLAGS[key];
      if (flag.kind === 'boolean') {
        o[key] = true;
        continue;
      }
      const next = args[i + 1];
      if (next === undefined || next.startsWith('-')) return undefined;
      if (flag.kind === 'array') (o[key] as string[]).push(next);
      else o[key] = next;
      i++;
      continue;
    }
    for (const letter of arg.slice(1)) {
      const key = flagNamed(`-${letter}`);
      if (key === undefined || RUN_FLAGS[key].kind !== 'boolean') return undefined;
      o[key] = true;
    }
  }
  if (i >= args.length) return undefined;
  o['image'] = args[i];
  o['args'] = args.slice(i + 1);
  return o as unknown as RunOptions;
}
