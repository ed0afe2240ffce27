/**
 * The commands a shim calls for every container (create, start, state, kill, delete), parsed
 * without clipanion: loading clipanion costs ~50 ms per call, as much as runc's whole call.
 * Only the plain shapes are taken here: anything else (--help, an unknown or repeated flag,
 * `--`, a wrong number of operands) returns undefined and goes to clipanion, which owns usage
 * text and usage errors. The clipanion classes in commands/ accept the same options.
 */
import type { Runtime } from '../runtime';
import { parseFdCount } from './commands/util';
import type { Out } from './stdout';

type Values = Record<string, string | boolean>;

interface HotCommand {
  /** Flag spelling → option name; `string` flags take a value (`--f v` or `--f=v`). */
  strings?: Record<string, string>;
  booleans?: Record<string, string>;
  operands: [min: number, max: number];
  /** Everything after the first operand is an operand too (exec's command line). */
  restAreOperands?: boolean;
  /** run() resolves to the exit status (else a call that returns exits 0). */
  status?: boolean;
  run(runtime: Runtime, values: Values, operands: string[], stdout: Out): Promise<unknown> | void;
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

const HOT: Record<string, HotCommand> = {
  create: {
    strings: {
      '--bundle': 'bundle',
      '-b': 'bundle',
      '--console-socket': 'consoleSocket',
      '--pid-file': 'pidFile',
      '--preserve-fds': 'preserveFds',
    },
    booleans: { '--no-pivot': 'noPivot', '--no-new-keyring': 'noNewKeyring' },
    operands: [1, 1],
    run: (rt, v, [id]) =>
      rt.create(id, {
        bundle: str(v.bundle) ?? '.',
        consoleSocket: str(v.consoleSocket),
        pidFile: str(v.pidFile),
        noPivot: v.noPivot === true,
        noNewKeyring: v.noNewKeyring === true,
        preserveFds: parseFdCount(str(v.preserveFds) ?? '0'),
      }),
  },
  start: { operands: [1, 1], run: (rt, _v, [id]) => rt.start(id) },
  state: {
    operands: [1, 1],
    run: (rt, _v, [id], stdout) => {
      stdout.write(`${JSON.stringify(rt.state(id), null, 2)}\n`);
    },
  },
  kill: {
    booleans: { '--all': 'all', '-a': 'all' },
    operands: [1, 2],
    run: (rt, v, [id, signal]) => {
      // node:os (signal numbers) only here: ~2 ms that the other calls need not pay
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { parseSignal } = require('./signals') as typeof import('./signals');
      return rt.kill(id, parseSignal(signal ?? 'SIGTERM'), v.all === true);
    },
  },
  // containerd's shape (`exec --process F --detach --pid-file F [--console-socket S] ID`) and
  // `exec ID CMD...`; flags that describe the process (-e, -u, --cwd, ...) go to clipanion.
  exec: {
    strings: { '--process': 'processFile', '-p': 'processFile', '--console-socket': 'consoleSocket', '--pid-file': 'pidFile' },
    booleans: { '--detach': 'detach', '-d': 'detach', '--tty': 'tty', '-t': 'tty' },
    operands: [1, Infinity],
    restAreOperands: true,
    status: true,
    run: async (rt, v, [id, ...args]) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { execInContainer } = require('../exec') as typeof import('../exec');
      try {
        return await execInContainer(rt, id, {
          processFile: str(v.processFile),
          args,
          tty: v.tty === true,
          consoleSocket: str(v.consoleSocket),
          detach: v.detach === true,
          pidFile: str(v.pidFile),
          env: [],
          additionalGids: [],
          caps: [],
          noNewPrivs: false,
          preserveFds: 0,
          ignorePaused: false,
        });
      } catch (err) {
        // As the clipanion command (and runc): a failed exec exits 255, told apart from the process's status.
        rt.log.fatal(`exec failed: ${err instanceof Error ? err.message : String(err)}`);
        return 255;
      }
    },
  },
  delete: {
    booleans: { '--force': 'force', '-f': 'force' },
    operands: [1, 1],
    run: (rt, v, [id]) => rt.delete(id, v.force === true),
  },
};

export interface HotCall {
  /** Resolves to the process's exit status. */
  run(runtime: Runtime, stdout: Out): Promise<number>;
  /**
   * Nothing of the call is pending once run() settles (no child, socket or pty to wait for):
   * state, start, kill and delete. The bin may then exit at once.
   */
  final: boolean;
}

/** The hot commands that leave nothing running in this process when they return. */
const FINAL = new Set(['state', 'start', 'kill', 'delete']);

/** The parsed call when `argv` (after the global flags) is a plain hot command, else undefined. */
export function parseHot(argv: readonly string[]): HotCall | undefined {
  const cmd = Object.hasOwn(HOT, argv[0]) ? HOT[argv[0]] : undefined;
  if (!cmd) return undefined;
  const values: Values = {};
  const operands: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (cmd.restAreOperands && operands.length > 0) {
      operands.push(arg);
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      operands.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const stringName = cmd.strings && Object.hasOwn(cmd.strings, flag) ? cmd.strings[flag] : undefined;
    const boolName = cmd.booleans && Object.hasOwn(cmd.booleans, flag) ? cmd.booleans[flag] : undefined;
    const name = stringName ?? boolName;
    if (name === undefined || Object.hasOwn(values, name)) return undefined;
    if (stringName !== undefined) {
      const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) return undefined;
      values[name] = value;
    } else {
      if (eq >= 0) return undefined;
      values[name] = true;
    }
  }
  if (operands.length < cmd.operands[0] || operands.length > cmd.operands[1]) return undefined;
  return {
    final: FINAL.has(argv[0]),
    run: async (runtime, stdout) => {
      const result = await cmd.run(runtime, values, operands, stdout);
      return cmd.status ? (result as number) : 0;
    },
  };
}
