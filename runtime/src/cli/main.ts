import * as fs from 'node:fs';
import * as path from 'node:path';
import { BerthError } from '@berth/spec';
import { Logger, type LogFormat } from '../log';
import type { Runtime } from '../runtime';
import { DEFAULT_ROOT, OCI_VERSION } from '../state';
import type { RuntimeContext } from './context';
import { parseHot } from './hot';
import { stdout } from './stdout';

const VERSION = '0.1.0';

interface Globals {
  root: string;
  log?: string;
  logFormat: LogFormat;
  debug: boolean;
  systemdCgroup: boolean;
  /** runc's --rootless: true, false or auto (undefined: euid != 0 or in a user namespace). */
  rootless?: boolean;
}

/** runc's default --root for a non-root caller with XDG_RUNTIME_DIR set is $XDG_RUNTIME_DIR/runc. */
function defaultRoot(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  return xdg && process.geteuid?.() !== 0 ? path.join(xdg, 'berth-runtime') : DEFAULT_ROOT;
}

/** runc's rootless auto-detection: not root, or root of a user namespace other than the initial one. */
function detectRootless(): boolean {
  if (process.geteuid?.() !== 0) return true;
  try {
    return !/^\s*0\s+0\s+4294967295\s*$/.test(fs.readFileSync('/proc/self/uid_map', 'utf8'));
  } catch {
    return false;
  }
}

const GLOBAL_HELP = `berth-runtime: an OCI runtime, a drop-in for runc

Usage: berth-runtime [global options] COMMAND [options] ...

Global options:
  --root DIR            state directory (default ${DEFAULT_ROOT}; $XDG_RUNTIME_DIR/berth-runtime when not root)
  --log FILE            write log lines to FILE
  --log-format FORMAT   text or json (default text)
  --debug               log debug lines
  --systemd-cgroup      use the systemd cgroup driver
  --rootless VALUE      true, false or auto (default): tolerate having no cgroup of its own
  --version, -v         print the version
  --help, -h            print this help

Commands: create start state kill delete run list ps spec features update events pause resume exec
Run "berth-runtime COMMAND --help" for a command's options.
`;

class GlobalUsage extends BerthError {
  constructor(message: string) {
    super('ERR_BERTH_USAGE', message);
  }
}

/** runc's global flags come before the command; clipanion parses what follows. */
function parseGlobals(argv: string[]): { globals: Globals; rest: string[]; early?: string } {
  const globals: Globals = { root: defaultRoot(), logFormat: 'text', debug: false, systemdCgroup: false };
  let i = 0;
  const value = (name: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    const v = argv[++i];
    if (v === undefined) throw new GlobalUsage(`flag needs an argument: ${name}`);
    return v;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) break;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    switch (flag.replace(/^--?/, '--')) {
      case '--root':
        globals.root = value(flag, inline);
        break;
      case '--log':
        globals.log = value(flag, inline);
        break;
      case '--log-format': {
        const f = value(flag, inline);
        if (f !== 'text' && f !== 'json') throw new GlobalUsage(`invalid log-format: ${f}`);
        globals.logFormat = f;
        break;
      }
      case '--debug':
        globals.debug = true;
        break;
      case '--systemd-cgroup':
        globals.systemdCgroup = true;
        break;
      case '--rootless': {
        const v = value(flag, inline);
        if (v !== 'true' && v !== 'false' && v !== 'auto') throw new GlobalUsage(`invalid --rootless value ${JSON.stringify(v)}: want true, false or auto`);
        globals.rootless = v === 'auto' ? undefined : v === 'true';
        break;
      }
      case '--version':
      case '--v':
        return { globals, rest: [], early: `berth-runtime version ${VERSION}\nspec: ${OCI_VERSION}\n` };
      case '--help':
      case '--h':
        return { globals, rest: [], early: GLOBAL_HELP };
      default:
        throw new GlobalUsage(`flag provided but not defined: ${arg}`);
    }
  }
  return { globals, rest: argv.slice(i) };
}

/**
 * Runs one berth-runtime call and sets process.exitCode. Resolves to true when nothing of the
 * call is left pending (a state, start, kill or delete, done or failed): the bin then exits at
 * once rather than letting Node tear the heap and the loop down (~5 M instructions a call).
 * Output is written synchronously (stdout by write(2); Node's stderr to files, pipes and
 * terminals is synchronous on Linux), so nothing is lost.
 */
export async function main(argv: string[]): Promise<boolean> {
  let log = new Logger();
  let code: number;
  let final = false;
  try {
    const { globals, rest, early } = parseGlobals(argv);
    if (early !== undefined) {
      stdout.write(early);
      return true;
    }
    if (globals.log) fs.mkdirSync(path.dirname(globals.log), { recursive: true });
    log = new Logger(globals.log, globals.logFormat, globals.debug);
    if (rest.length === 0) {
      stdout.write(GLOBAL_HELP);
      return true;
    }
    if (globals.systemdCgroup && !fs.existsSync('/run/systemd/system')) {
      throw new GlobalUsage('--systemd-cgroup: systemd is not running on this host (no /run/systemd/system)');
    }
    let runtime: Runtime | undefined;
    const getRuntime = (): Runtime => {
      if (!runtime) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { Runtime } = require('../runtime') as typeof import('../runtime');
        runtime = new Runtime({ root: globals.root, log, systemdCgroup: globals.systemdCgroup, rootless: globals.rootless ?? detectRootless() });
      }
      return runtime;
    };
    const hot = parseHot(rest);
    if (hot) {
      // The shim's calls, without clipanion (see hot.ts); a failure is reported below.
      final = hot.final;
      code = await hot.run(getRuntime(), stdout);
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Cli } = require('clipanion') as typeof import('clipanion');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { commands } = require('./commands/index') as typeof import('./commands/index');
      const cli = new Cli<RuntimeContext>({ binaryLabel: 'berth-runtime', binaryName: 'berth-runtime', binaryVersion: VERSION });
      for (const c of commands) cli.register(c);
      const context: RuntimeContext = { ...Cli.defaultContext, root: globals.root, log, runtime: getRuntime };
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const argv = rest[0] === 'update' ? (require('./commands/update') as typeof import('./commands/update')).joinNegativeValues(rest) : rest;
      code = await cli.run(argv, context);
    }
  } catch (err) {
    log.fatal(err instanceof Error ? err.message : String(err));
    code = 1;
  }
  process.exitCode = code;
  return final;
}
