import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuntimeTypes, Spec } from '@berth/spec';
import type { LaunchPlan, NamespaceType } from '@berth/sys';
import type { Bundle } from './config/load';
import { ConfigError, ContainerStateError, UsageError } from './errors';
import type { Runtime } from './runtime';
import { isAlive, statusOf, writeAtomic, type SavedState } from './state';

/**
 * `exec`: a new process in a running container. berth-init joins every
 * namespace of the container's first process (its user namespace first),
 * then forks, so the process is inside the container's pid namespace too;
 * it gets the container's capabilities, rlimits, seccomp filter and
 * no_new_privs unless the flags or --process say otherwise.
 */

export interface ExecOptions {
  /** --process: a runtime-spec process JSON; the flags that describe the process are then ignored (as runc). */
  processFile?: string;
  args: string[];
  tty?: boolean;
  consoleSocket?: string;
  detach?: boolean;
  pidFile?: string;
  /** -e K=V, appended to the container's env. */
  env?: string[];
  /** -u UID[:GID] */
  user?: string;
  /** -g: additional gids. */
  additionalGids?: number[];
  cwd?: string;
  /** --cap: added to the bounding, effective, permitted and ambient sets. */
  caps?: string[];
  noNewPrivs?: boolean;
  preserveFds?: number;
  ignorePaused?: boolean;
  /** --cgroup [CONTROLLER[,CONTROLLER...]:]PATH (repeatable): existing sub-cgroups of the container's to run in (runc >= 1.1). */
  cgroups?: string[];
}

/** /proc/PID/ns/<name> of each namespace type. */
const NS_FILE: Record<NamespaceType, string> = {
  pid: 'pid', mount: 'mnt', uts: 'uts', ipc: 'ipc', network: 'net', cgroup: 'cgroup', user: 'user', time: 'time',
};

/** The process exec runs: --process as given, or the container's process changed by the flags (runc's rules). */
export function execProcess(config: Spec, opts: ExecOptions): RuntimeTypes.Process {
  if (opts.processFile !== undefined) {
    let p: RuntimeTypes.Process;
    try {
      p = JSON.parse(fs.readFileSync(opts.processFile, 'utf8')) as RuntimeTypes.Process;
    } catch (err) {
      throw new ConfigError(`--process ${opts.processFile}: ${(err as Error).message}`);
    }
    if (typeof p !== 'object' || p === null) throw new ConfigError(`--process ${opts.processFile}: not a JSON object`);
    if (!Array.isArray(p.args) || p.args.length === 0) throw new ConfigError(`--process ${opts.processFile}: args must not be empty`);
    if (typeof p.cwd !== 'string' || !p.cwd.startsWith('/')) throw new ConfigError(`--process ${opts.processFile}: cwd ${JSON.stringify(p.cwd)} must be an absolute path`);
    return p;
  }
  if (opts.args.length === 0) throw new UsageError('exec args cannot be empty');
  const base = config.process ?? ({ cwd: '/' } as RuntimeTypes.Process);
  const p: RuntimeTypes.Process = structuredClone(base);
  p.args = opts.args;
  p.terminal = opts.tty === true;
  if (opts.cwd !== undefined) p.cwd = opts.cwd;
  if (opts.env?.length) p.env = [...(p.env ?? []), ...opts.env];
  if (opts.noNewPrivs) p.noNewPrivileges = true;
  if (opts.user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(opts.user);
    if (!m) throw new UsageError(`--user ${JSON.stringify(opts.user)}: expected UID or UID:GID (numbers)`);
    p.user = { ...p.user, uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : (p.user?.gid ?? 0) };
  }
  if (opts.additionalGids?.length) p.user = { uid: 0, gid: 0, ...p.user, additionalGids: opts.additionalGids };
  if (opts.caps?.length) {
    const c = { ...p.capabilities };
    for (const set of ['bounding', 'effective', 'permitted', 'ambient'] as const) c[set] = [...new Set([...(c[set] ?? []), ...opts.caps])];
    p.capabilities = c;
  }
  return p;
}

/** The container's namespaces as its first process holds them, to join by path. */
function joinedNamespaces(config: Spec, pid: number): LaunchPlan['namespaces'] {
  return (config.linux?.namespaces ?? []).map((ns, i) => {
    const type = ns.type as NamespaceType;
    if (!(type in NS_FILE)) throw new ConfigError(`$.linux.namespaces[${i}].type: ${ns.type} namespaces are not supported by berth-runtime yet`);
    return { type, path: `/proc/${pid}/ns/${NS_FILE[type]}` };
  });
}

/**
 * Puts the exec'd process into the container's cgroups before it runs
 * anything (the launch's onPid step), as runc joins them all.
 */
function joinCgroups(state: SavedState, pid: number, dirs: string[] | undefined): void {
  if (!state.cgroupPaths) return;
  if (dirs !== undefined) {
    for (const dir of dirs) {
      try {
        fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new ConfigError(`--cgroup: cannot join ${dir}: ${code}${code === 'ENOENT' ? ' (the sub-cgroup must exist)' : ''}`);
      }
    }
    return;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { openCgroupManager } = require('./cgroups/reopen') as typeof import('./cgroups/reopen');
  openCgroupManager(state.cgroupPaths).apply(pid);
}

/**
 * runc's `exec --cgroup`: each argument is `[CONTROLLER[,CONTROLLER...]:]PATH`; PATH without a
 * controller (only alone) applies to every hierarchy of the container (cgroup2 included), with
 * controllers to those only, the others keeping the container's own cgroup. PATH is relative to
 * the container's cgroup ("/x" too) and may not leave it. Returns the directories to join, in
 * the saved order, each once (cpu and cpuacct may share one).
 */
export function execCgroupDirs(cgroupPaths: Readonly<Record<string, string>> | undefined, args: readonly string[]): string[] {
  if (cgroupPaths === undefined) throw new ConfigError('--cgroup: the container has no cgroup recorded in its state');
  const subs = new Map<string, string>();
  for (const arg of args) {
    const parts = arg.split(':');
    if (parts.length > 2) throw new UsageError(`--cgroup ${JSON.stringify(arg)}: expected [CONTROLLER[,CONTROLLER...]:]PATH`);
    if (parts.length === 1) {
      if (args.length !== 1) throw new UsageError(`--cgroup ${JSON.stringify(arg)}: missing CONTROLLER: prefix (required when --cgroup is given more than once)`);
      subs.set('', arg);
      continue;
    }
    const [controllers, sub] = parts as [string, string];
    for (const c of controllers.split(',')) {
      if (c === '') throw new UsageError(`--cgroup ${JSON.stringify(arg)}: empty controller name`);
      if (subs.has(c)) throw new UsageError(`--cgroup: controller ${c} given more than once`);
      if (!(c in cgroupPaths)) {
        throw new UsageError(`--cgroup ${JSON.stringify(arg)}: unknown controller ${c} (the container's cgroup has: ${Object.keys(cgroupPaths).filter(Boolean).join(', ') || 'cgroup v2 only; give PATH without a controller'})`);
      }
      subs.set(c, sub);
    }
  }
  const out: string[] = [];
  for (const [key, base] of Object.entries(cgroupPaths)) {
    const sub = subs.get('') ?? subs.get(key);
    let dir = base;
    if (sub !== undefined) {
      dir = path.posix.join(base, sub);
      const rel = path.posix.relative(base, dir);
      if (rel === '..' || rel.startsWith('../')) throw new UsageError(`--cgroup: ${sub} is not a sub-cgroup path of the container's cgroup ${base}`);
    }
    if (!out.includes(dir)) out.push(dir);
  }
  return out;
}

/**
 * The config the container was created with (saved in its state dir), so an
 * edited or removed bundle does not change what exec runs; a container
 * created before configs were saved falls back to the bundle.
 */
function containerBundle(runtime: Runtime, state: SavedState, loadBundle: (dir: string) => Bundle): Bundle {
  let text: string;
  try {
    text = fs.readFileSync(path.join(runtime.dirs.dir(state.id), 'config.json'), 'utf8');
  } catch {
    return loadBundle(state.bundle);
  }
  return { dir: state.bundle, rootfs: state.rootfs, config: JSON.parse(text) as Spec };
}

interface CompiledSeccomp {
  program: Buffer;
  flags: number;
  listenerPath?: string;
}

/** The container's compiled seccomp program: compiled on the first exec, then read from the state dir. */
function compiledSeccomp(stateDir: string, seccomp: RuntimeTypes.Seccomp): CompiledSeccomp {
  const cache = path.join(stateDir, 'seccomp.json');
  try {
    const saved = JSON.parse(fs.readFileSync(cache, 'utf8')) as { program: string; flags: number; listenerPath?: string };
    return { ...saved, program: Buffer.from(saved.program, 'hex') };
  } catch {
    // not compiled yet
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { compileSeccomp } = require('./seccomp') as typeof import('./seccomp');
  const c = compileSeccomp(seccomp);
  const compiled: CompiledSeccomp = { program: c.program, flags: c.flags, ...(c.listenerPath !== undefined ? { listenerPath: c.listenerPath } : {}) };
  writeAtomic(cache, JSON.stringify({ ...compiled, program: c.program.toString('hex') }));
  return compiled;
}

/** Runs exec; in the foreground returns the process's exit status (128+N on signal N), detached 0. */
export async function execInContainer(runtime: Runtime, id: string, opts: ExecOptions): Promise<number> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { loadBundle } = require('./config/load') as typeof import('./config/load');
  const { buildPlan } = require('./config/plan') as typeof import('./config/plan');
  const { launch } = require('./launch') as typeof import('./launch');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const state = runtime.dirs.load(id);
  const status = statusOf(runtime.dirs, state);
  if (status === 'stopped') throw new ContainerStateError('cannot exec in a stopped container');
  if (status === 'paused' && !opts.ignorePaused) throw new ContainerStateError('cannot exec in a paused container (use --ignore-paused to override)');

  // Checked before anything starts: a bad --cgroup leaves nothing behind.
  const cgroupDirs = opts.cgroups?.length ? execCgroupDirs(state.cgroupPaths, opts.cgroups) : undefined;
  const bundle = containerBundle(runtime, state, loadBundle);
  const proc = execProcess(bundle.config, opts);
  if (proc.terminal && opts.detach && opts.consoleSocket === undefined) {
    throw new UsageError('cannot allocate a tty for a detached process without --console-socket');
  }
  if (!proc.terminal && opts.consoleSocket !== undefined) throw new UsageError('--console-socket given but the process has no tty (-t or terminal: true)');
  // The seccomp program comes from the state dir's cache: compiling a large profile costs more than the rest of exec.
  const config: Spec = { ...bundle.config, process: proc, mounts: [], hooks: undefined, linux: { ...bundle.config.linux, seccomp: undefined } };
  const wait = !opts.detach;
  const built = buildPlan({ ...bundle, config }, {
    id,
    noPivot: false,
    preserveFds: opts.preserveFds ?? 0,
    consoleFd: proc.terminal ? -1 : undefined,
    wait,
  }).plan;
  const plan: LaunchPlan = {
    ...built,
    exec: true,
    namespaces: joinedNamespaces(bundle.config, state.pid),
    mounts: [], devices: [], symlinks: [], mkdirs: [], maskedPaths: [], readonlyPaths: [], sysctl: [],
    hostname: undefined, domainname: undefined, stateDir: undefined, timeOffsets: undefined,
    readonlyRoot: false, rootPropagation: 0, rootPropagationAfterPivot: 0,
  };
  const seccomp = bundle.config.linux?.seccomp;
  if (seccomp) {
    const { program, flags, listenerPath } = compiledSeccomp(runtime.dirs.dir(id), seccomp);
    plan.seccomp = { program, flags };
    if (listenerPath !== undefined) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { seccompState } = require('./seccomp/state') as typeof import('./seccomp/state');
      const container = { id, status: 'running' as const, bundle: state.bundle, annotations: state.annotations };
      plan.seccomp.listener = { path: listenerPath, state: seccompState(container, seccomp.listenerMetadata) };
    }
  }

  // In the foreground without a console socket, the pty comes to us and is copied to our stdio.
  let tty: import('./tty').TtyProxy | undefined;
  let consoleSocket = opts.consoleSocket;
  if (proc.terminal && consoleSocket === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    tty = (require('./tty') as typeof import('./tty')).TtyProxy.listen();
    consoleSocket = tty.socketPath;
  }
  let launched: Awaited<ReturnType<typeof launch>>;
  try {
    const onPid = (pid: number) => {
      // berth-init opened /proc/<init pid>/ns/* before this: if the init still lives (same start
      // time), the pid was not reused in between and the namespaces joined are the container's.
      if (!isAlive(state)) throw new ContainerStateError('cannot exec in a stopped container');
      joinCgroups(state, pid, cgroupDirs);
    };
    launched = await launch(plan, consoleSocket, { onPid });
    await tty?.attach();
  } catch (err) {
    await tty?.close();
    throw err;
  }
  if (opts.pidFile) writeAtomic(opts.pidFile, String(launched.pid), 0o644);
  if (!wait) {
    await launched.exited;
    return 0;
  }
  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(launched.pid, sig);
    } catch {
      // already gone: its status arrives through berth-init
    }
  };
  // SIGWINCH is not forwarded (as runc): with a tty the proxy resizes the pty, and the kernel signals the process.
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  for (const s of signals) process.on(s, forward);
  try {
    const code = await launched.exited;
    await tty?.close();
    return code;
  } finally {
    for (const s of signals) process.removeListener(s, forward);
  }
}
