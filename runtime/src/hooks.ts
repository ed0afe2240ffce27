import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BerthError, type RuntimeTypes } from '@berth/spec';
import type { LaunchPlan } from '@berth/sys';
import { ConfigError } from './errors';
import type { Logger } from './log';
import { OCI_VERSION, writeAtomic, type Status } from './state';

/**
 * OCI hooks (runtime-spec v1.3.0, config.md "POSIX-platform Hooks"). The
 * runtime runs prestart, createRuntime, poststart and poststop in its own
 * namespaces; berth-init runs createContainer and startContainer in the
 * container's (native/init/hooks.c), since Node cannot enter a mount namespace.
 */
export const HOOK_STAGES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
export type HookStage = (typeof HOOK_STAGES)[number];

/** A hook failed, or ran past its timeout: the message names the stage, the index and the path. */
export class HookError extends BerthError {
  constructor(message: string) {
    super('ERR_BERTH_HOOK', message);
  }
}

export interface HookSpec {
  path: string;
  /** argv with argv[0]; empty: the path alone, as runc (Go's exec) does. */
  args: string[];
  env: string[];
  /** Seconds; 0: no limit. */
  timeout: number;
}

export type HookSet = Partial<Record<HookStage, HookSpec[]>>;

/** What the state on a hook's stdin says about the container. */
export interface HookContainer {
  id: string;
  bundle: string;
  annotations?: Record<string, unknown>;
}

/** The checked hooks of a config; refuses a relative path or a timeout that is not a positive integer. */
export function checkHooks(hooks: RuntimeTypes.Hooks | undefined): HookSet {
  const set: HookSet = {};
  for (const stage of HOOK_STAGES) {
    const list = hooks?.[stage] ?? [];
    if (!list.length) continue;
    set[stage] = list.map((h, i) => {
      const at = `$.hooks.${stage}[${i}]`;
      if (typeof h.path !== 'string' || !path.isAbsolute(h.path)) throw new ConfigError(`${at}.path: ${JSON.stringify(h.path)} is not an absolute path`);
      if (h.timeout !== undefined && !(Number.isInteger(h.timeout) && h.timeout > 0)) {
        throw new ConfigError(`${at}.timeout: ${JSON.stringify(h.timeout)} is not a positive number of seconds`);
      }
      return { path: h.path, args: h.args ?? [], env: h.env ?? [], timeout: h.timeout ?? 0 };
    });
  }
  return set;
}

function stateFields(c: HookContainer): { bundle: string; annotations?: Record<string, string> } {
  const entries = Object.entries(c.annotations ?? {});
  return entries.length ? { bundle: c.bundle, annotations: Object.fromEntries(entries.map(([k, v]) => [k, String(v)])) } : { bundle: c.bundle };
}

/** The state JSON a hook reads, in runc's key order; no pid once stopped (as runc). */
export function hookState(c: HookContainer, status: Status, pid?: number): string {
  return JSON.stringify({ ociVersion: OCI_VERSION, id: c.id, status, ...(pid ? { pid } : {}), ...stateFields(c) });
}

/**
 * The plan's part for berth-init: createContainer sees status "creating",
 * startContainer "created", and both the pid the process has in its own pid
 * namespace (what runc sends them), filled in by init.
 */
export function initHooks(set: HookSet, c: HookContainer): LaunchPlan['hooks'] {
  const out: NonNullable<LaunchPlan['hooks']> = {};
  const stages = [['createContainer', 'creating'], ['startContainer', 'created']] as const;
  for (const [stage, status] of stages) {
    const hooks = set[stage];
    if (!hooks) continue;
    out[stage] = {
      hooks,
      statePrefix: `${JSON.stringify({ ociVersion: OCI_VERSION, id: c.id, status }).slice(0, -1)},"pid":`,
      stateSuffix: `,${JSON.stringify(stateFields(c)).slice(1)}`,
    };
  }
  return Object.keys(out).length ? out : undefined;
}

let outputs = 0;

/** An unlinked temp file: a hook's output goes there, not to a pipe a daemon it starts could hold open. */
function scratchFd(): number {
  const file = path.join(os.tmpdir(), `berth-hook-${process.pid}-${++outputs}`);
  const fd = fs.openSync(file, 'w+', 0o600);
  fs.rmSync(file, { force: true });
  return fd;
}

function tail(fd: number): string {
  const size = fs.fstatSync(fd).size;
  const len = Math.min(size, 512);
  const buf = Buffer.alloc(len);
  fs.readSync(fd, buf, 0, len, size - len);
  return buf.toString().trim();
}

/** Runs one hook in the runtime's namespaces; the failure's description, or undefined. */
function runOne(h: HookSpec, state: string, cwd: string): string | undefined {
  const env: Record<string, string> = {};
  for (const e of h.env) {
    const eq = e.indexOf('=');
    if (eq > 0) env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  const out = scratchFd();
  const err = scratchFd();
  try {
    // loaded on the first hook only: most containers have none, and `berth run` starts its
    // container through the addon, so child_process would load for nothing
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const r = spawnSync(h.path, h.args.slice(1), {
      argv0: h.args[0] ?? h.path,
      input: state,
      env,
      cwd: fs.existsSync(cwd) ? cwd : '/',
      stdio: ['pipe', out, err],
      timeout: h.timeout ? h.timeout * 1000 : undefined,
      killSignal: 'SIGKILL',
    });
    const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ETIMEDOUT') return `ran past its timeout of ${h.timeout}s and was killed`;
    // EPIPE: the hook did not read its stdin, which it may do
    if (r.error && code !== 'EPIPE') return `cannot run it: ${r.error.message}`;
    if (r.status === 0) return undefined;
    const how = r.status !== null ? `exit status ${r.status}` : `killed by signal ${r.signal}`;
    return `${how}, stdout: ${tail(out)}, stderr: ${tail(err)}`;
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
}

/** Runs a stage's hooks in order with the state on stdin; the first failure throws a HookError. */
export function runHooks(stage: HookStage, hooks: HookSpec[] | undefined, state: string, cwd: string): void {
  (hooks ?? []).forEach((h, i) => {
    const failure = runOne(h, state, cwd);
    if (failure !== undefined) throw new HookError(`${stage} hook #${i} ${h.path}: ${failure}`);
  });
}

/**
 * poststop: a failure is a warning and the rest still run (runtime-spec lifecycle).
 * Like runc, hooks run in the runtime's cwd: the bundle during create, the caller's after.
 */
export function runPoststop(hooks: HookSpec[] | undefined, c: HookContainer, log: Logger, cwd = process.cwd()): void {
  if (!hooks?.length) return;
  const state = hookState(c, 'stopped');
  hooks.forEach((h, i) => {
    const failure = runOne(h, state, cwd);
    if (failure !== undefined) log.warn(`poststop hook #${i} ${h.path}: ${failure}`);
  });
}

const SAVED = 'hooks.json';

/** Keeps the hooks that run after create (poststart, poststop) in the container's state dir. */
export function saveHooks(dir: string, set: HookSet): void {
  const later: HookSet = {};
  if (set.poststart) later.poststart = set.poststart;
  if (set.poststop) later.poststop = set.poststop;
  if (Object.keys(later).length) writeAtomic(path.join(dir, SAVED), JSON.stringify(later));
}

export function loadHooks(dir: string): HookSet {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, SAVED), 'utf8');
  } catch {
    return {};
  }
  return JSON.parse(text) as HookSet;
}
