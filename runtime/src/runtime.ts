import * as fs from 'node:fs';
import * as path from 'node:path';
import { S_IF, SysError, closeFd, mknod, pidfdOpen, pidfdSendSignal, pollReadable } from '@berth/sys';
import { ContainerExistsError, ContainerNotFoundError, ContainerNotRunningError, ContainerStateError } from './errors';
import type { CgroupManager } from './cgroups/manager';
import type { RuntimeTypes } from '@berth/spec';
import type { Bundle } from './config/load';
import type { LaunchHooks, Launched } from './launch';
import { ContainerLocks } from './lock';
import type { TtyProxy } from './tty';
import { Logger } from './log';
import { StateDir, checkId, isAlive, procStat, report, statusOf, writeAtomic, type SavedState, type StateReport, type Status } from './state';

export interface CreateOptions {
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** Runs with the host pid before the container sets up (e.g. to join its cgroups); see launch(). */
  onPid?: LaunchHooks['onPid'];
  /** A directory where compiled seccomp programs are kept across runs (berth run: in its store). */
  seccompCacheDir?: string;
}

export interface RunOptions extends CreateOptions {
  detach?: boolean;
  keep?: boolean;
  /** With a terminal in the foreground: whether our stdin feeds it (default true; docker run -t without -i does not). */
  stdin?: boolean;
}

const KILL_WAIT_MS = 10_000;
/** Linux's number, not node:os's table: loading node:os costs every call (start, state, delete) a builtin module. */
const SIGKILL = 9;

/**
 * What only create and run need (the config validator, the plan, child_process), loaded when
 * they run: state, start, kill and delete are called once or more per container and pay
 * Node's start-up each time.
 */
function createModules() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return {
    ...(require('./config/load') as typeof import('./config/load')),
    ...(require('./config/plan') as typeof import('./config/plan')),
    ...(require('./launch') as typeof import('./launch')),
    ...(require('./cgroups/container') as typeof import('./cgroups/container')),
    ...(require('./hooks') as typeof import('./hooks')),
    ...(require('./userns') as typeof import('./userns')),
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** The poststart/poststop hooks create saved; the hooks module loads only for containers that have some. */
function laterHooks(dir: string) {
  if (!fs.existsSync(path.join(dir, 'hooks.json'))) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hooks = require('./hooks') as typeof import('./hooks');
  return { hooks, set: hooks.loadHooks(dir) };
}

/** The cgroup manager for saved paths (update, pause, events, kill --all, delete load it). */
function cgroupOf(state: SavedState): CgroupManager | undefined {
  if (state.cgroupPaths === undefined) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { openContainerCgroup } = require('./cgroups/container') as typeof import('./cgroups/container');
  return openContainerCgroup(state.cgroupPaths);
}

/** The runc lifecycle over a state directory (--root). */
export class Runtime {
  readonly dirs: StateDir;
  readonly log: Logger;
  /** create, start and delete of one id run one at a time, across processes (lock.ts). */
  readonly locks: ContainerLocks;
  private readonly systemdCgroup: boolean;

  /** runc's --rootless (the CLI resolves auto): see ContainerCgroupOptions.rootless. */
  private readonly rootless: boolean;

  constructor(opts: { root?: string; log?: Logger; systemdCgroup?: boolean; rootless?: boolean } = {}) {
    this.dirs = new StateDir(opts.root);
    this.locks = new ContainerLocks(this.dirs.root);
    this.log = opts.log ?? new Logger();
    this.systemdCgroup = opts.systemdCgroup === true;
    this.rootless = opts.rootless ?? process.geteuid?.() !== 0;
  }

  async create(id: string, opts: CreateOptions): Promise<number> {
    const launched = await this.launchContainer(id, opts, false);
    return launched.pid;
  }

  /** Creates and starts; in the foreground waits and returns the exit status (128+N on signal N). */
  async run(id: string, opts: RunOptions): Promise<number> {
    let tty: TtyProxy | undefined;
    // Loaded (and validated) once: launchLocked takes this one rather than reading it again.
    const bundle = !opts.detach && !opts.consoleSocket ? createModules().loadBundle(opts.bundle) : undefined;
    if (bundle?.config.process?.terminal) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      tty = (require('./tty') as typeof import('./tty')).TtyProxy.listen();
      opts = { ...opts, consoleSocket: tty.socketPath };
    }
    let launched: Launched;
    try {
      launched = await this.launchContainer(id, opts, !opts.detach, bundle);
      await tty?.attach({ stdin: opts.stdin ?? true });
    } catch (err) {
      await tty?.close();
      throw err;
    }
    const forward = (sig: NodeJS.Signals) => {
      try {
        process.kill(launched.pid, sig);
      } catch {
        // already gone: its status arrives through berth-init
      }
    };
    // SIGWINCH is not forwarded (as runc): the tty proxy resizes the pty, and the kernel signals the container.
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
    if (!opts.detach) for (const s of signals) process.on(s, forward);
    try {
      this.start(id);
      if (opts.detach) return 0;
      const status = await launched.exited;
      await tty?.close();
      return status;
    } finally {
      for (const s of signals) process.removeListener(s, forward);
      if (!opts.detach && !opts.keep) await this.locks.with(id, () => this.removeContainer(id));
    }
  }

  /** `loaded`: the bundle at opts.bundle, when the caller has already loaded it (run). */
  private launchContainer(id: string, opts: CreateOptions, wait: boolean, loaded?: Bundle): Promise<Launched> {
    checkId(id);
    return this.locks.with(id, () => this.launchLocked(id, opts, wait, loaded));
  }

  private async launchLocked(id: string, opts: CreateOptions, wait: boolean, loaded: Bundle | undefined): Promise<Launched> {
    if (this.dirs.exists(id)) throw new ContainerExistsError(id);
    const { loadBundle, buildPlan, launch, planContainerCgroup, destroyCgroup, checkHooks, hookState, runHooks, runPoststop, saveHooks, mapUserNamespace } = createModules();
    const bundle = loaded ?? loadBundle(opts.bundle);
    const preserveFds = opts.preserveFds ?? 0;
    // Validate everything before touching the state dir: bad input leaves nothing behind.
    const cgroupPlan = planContainerCgroup(bundle.config, { id, systemdCgroup: this.systemdCgroup, rootless: this.rootless });
    // Built once, with the state dir's path before the dir exists (the plan only carries the path).
    const { plan, warnings, notes } = buildPlan(bundle, {
      id, noNewKeyring: opts.noNewKeyring === true, noPivot: opts.noPivot === true, preserveFds,
      consoleFd: opts.consoleSocket ? -1 : undefined, wait, cgroupPaths: cgroupPlan.paths, seccompCacheDir: opts.seccompCacheDir,
      stateDir: this.dirs.dir(id),
    });
    const hooks = checkHooks(bundle.config.hooks);
    const hookContainer = { id, bundle: bundle.dir, annotations: stringAnnotations(bundle.config.annotations) };
    let dir: string;
    try {
      dir = this.dirs.create(id);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ContainerExistsError(id);
      throw err;
    }
    let launched: Launched | undefined;
    let cgroup: CgroupManager | undefined;
    try {
      const fifo = this.dirs.fifo(id);
      mknod(fifo, S_IF.FIFO | 0o622);
      fs.chmodSync(fifo, 0o622);
      for (const w of [...warnings, ...cgroupPlan.warnings]) this.log.warn(w);
      for (const n of notes) this.log.debug(n);
      // The cgroup exists with its limits before berth-init starts; the init joins it
      // (onPid) before it sets anything up, so every process of the container is counted.
      const cg = await cgroupPlan.setUp();
      cgroup = cg;
      const onPid = async (pid: number) => {
        // A new user namespace is mapped first: the init then becomes its root.
        mapUserNamespace(bundle.config, pid);
        cg.apply(pid);
        await opts.onPid?.(pid);
      };
      saveHooks(dir, hooks);
      // prestart (deprecated) and createRuntime: in our namespaces, the container's mounts made, before pivot_root.
      const beforePivot = hooks.prestart || hooks.createRuntime ? (pid: number) => {
        const state = hookState(hookContainer, 'creating', pid);
        runHooks('prestart', hooks.prestart, state, bundle.dir);
        runHooks('createRuntime', hooks.createRuntime, state, bundle.dir);
      } : undefined;
      launched = await launch(plan, opts.consoleSocket, { onPid, beforePivot });
      const stat = procStat(launched.pid);
      if (!stat) throw new ContainerStateError(`container ${id} exited during create`);
      const state: SavedState = {
        id,
        pid: launched.pid,
        startTime: stat.startTime,
        bundle: bundle.dir,
        rootfs: bundle.rootfs,
        created: new Date().toISOString(),
        owner: '',
        annotations: stringAnnotations(bundle.config.annotations),
        ownPidNs: plan.namespaces.some((n) => n.type === 'pid' && !n.path),
        // A rootless container without a cgroup of its own records none (delete has nothing to remove).
        cgroupPaths: Object.keys(cg.paths()).length > 0 ? cg.paths() : undefined,
      };
      // exec runs with the config the container was created with (runc keeps it in its state too).
      writeAtomic(path.join(dir, 'config.json'), JSON.stringify(bundle.config), 0o600, false);
      this.dirs.save(state);
      if (opts.pidFile) writeAtomic(opts.pidFile, String(launched.pid), 0o644);
      if (!wait) await launched.exited;
      return launched;
    } catch (err) {
      if (launched) {
        try {
          process.kill(launched.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await launched.exited;
      }
      if (cgroup) await destroyCgroup(cgroup).catch((e: unknown) => this.log.warn(`cleaning up after a failed create: ${(e as Error).message}`));
      this.dirs.remove(id);
      // As runc: a failed create is destroyed, and destroying runs the poststop hooks.
      runPoststop(hooks.poststop, hookContainer, this.log, bundle.dir);
      throw err;
    }
  }

  /** Lets a created container run its process: opens the exec fifo that init blocks on. */
  start(id: string): void {
    checkId(id);
    this.locks.with(id, () => this.startLocked(id));
  }

  private startLocked(id: string): void {
    const state = this.dirs.load(id);
    const status = statusOf(this.dirs, state);
    if (status === 'running') throw new ContainerStateError(`cannot start an already running container ${id}`);
    if (status === 'stopped') throw new ContainerStateError(`cannot start a container that has stopped: ${id}`);
    if (status === 'paused') throw new ContainerStateError('cannot start a container in the paused state');
    const fifo = this.dirs.fifo(id);
    const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    // Read to the end: init writes "0", runs the startContainer hooks, and its end closes at
    // execve; anything after the "0" says why the process did not run.
    let got = '';
    try {
      for (;;) {
        if (pollReadable(fd, 100)) {
          const buf = Buffer.alloc(4096);
          let n = 0;
          try {
            n = fs.readSync(fd, buf);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
            continue;
          }
          if (n > 0) {
            got += buf.toString('utf8', 0, n);
            continue;
          }
          if (got) break;
          throw new ContainerStateError(`cannot start container ${id}: its init exited before start`);
        }
        if (!got && !isAlive(state)) throw new ContainerStateError(`cannot start a container that has stopped: ${id}`);
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.rmSync(fifo, { force: true });
    const later = laterHooks(this.dirs.dir(id));
    if (got.length > 1) {
      const why = got.slice(1);
      throw later && why.startsWith('startContainer hook') ? new later.hooks.HookError(why) : new ContainerStateError(`cannot start container ${id}: ${why}`);
    }
    if (later?.set.poststart) {
      const container = { id, bundle: state.bundle, annotations: state.annotations };
      try {
        later.hooks.runHooks('poststart', later.set.poststart, later.hooks.hookState(container, 'running', state.pid), process.cwd());
      } catch (err) {
        // runtime-spec v1.3.0: a failing poststart hook stops the container and fails start
        this.killAndWait(state);
        throw err;
      }
    }
  }

  state(id: string): StateReport {
    return report(this.dirs, this.dirs.load(id));
  }

  list(): StateReport[] {
    const out: StateReport[] = [];
    for (const id of this.dirs.list()) {
      try {
        out.push(report(this.dirs, this.dirs.load(id)));
      } catch {
        // deleted meanwhile
      }
    }
    return out;
  }

  async kill(id: string, signal: number, all = false): Promise<void> {
    const state = this.dirs.load(id);
    const status = statusOf(this.dirs, state);
    if (status === 'stopped') throw new ContainerNotRunningError(id);
    if (all && state.cgroupPaths !== undefined) {
      // Every process in the cgroup, with or without a pid namespace of its own
      // (v1: frozen while signalled so nothing forks in between; v2: cgroup.kill).
      const cgroup = cgroupOf(state);
      await cgroup?.killAll(signal);
      // runc thaws the cgroup after signalling all, so a paused container runs again.
      if (status === 'paused') await cgroup?.thaw();
      return;
    }
    if (all && state.ownPidNs) {
      for (const pid of this.pids(id)) {
        if (pid === state.pid) continue;
        try {
          process.kill(pid, signal);
        } catch {
          // exited meanwhile
        }
      }
    }
    this.signalInit(state, signal);
    // As runc: a frozen task cannot act on SIGKILL, so a paused container is thawed for it.
    if (status === 'paused' && signal === SIGKILL) await cgroupOf(state)?.thaw();
  }

  /** Signals exactly the container's first process: through a pidfd checked against the start time. */
  private signalInit(state: SavedState, signal: number): void {
    let pidfd: number;
    try {
      pidfd = pidfdOpen(state.pid);
    } catch (err) {
      if (err instanceof SysError && err.errno === 'ESRCH') throw new ContainerNotRunningError(state.id);
      throw err;
    }
    try {
      if (!isAlive(state)) throw new ContainerNotRunningError(state.id);
      try {
        pidfdSendSignal(pidfd, signal);
      } catch (err) {
        if (err instanceof SysError && err.errno === 'ESRCH') throw new ContainerNotRunningError(state.id);
        throw err;
      }
    } finally {
      closeFd(pidfd);
    }
  }

  delete(id: string, force = false): Promise<void> {
    checkId(id);
    return this.locks.with(id, () => this.deleteLocked(id, force));
  }

  private async deleteLocked(id: string, force: boolean): Promise<void> {
    if (!this.dirs.exists(id)) {
      // as runc: containerd cleans up with delete --force and expects success for a missing container
      if (force) return;
      throw new ContainerNotFoundError(id);
    }
    let state: SavedState;
    try {
      state = this.dirs.load(id);
    } catch {
      // a create that crashed before writing state.json: nothing runs, only the directory is left
      this.dirs.remove(id);
      return;
    }
    const status = statusOf(this.dirs, state);
    if ((status === 'running' || status === 'paused') && !force) {
      throw new ContainerStateError(`cannot delete container ${id} that is not stopped: ${status}`);
    }
    // A paused container's init cannot die until thawed: the cgroup's killAll thaws it.
    if (status === 'paused') await cgroupOf(state)?.killAll('SIGKILL');
    if (status !== 'stopped') this.killAndWait(state);
    await this.removeContainer(id, state);
  }

  /**
   * Removes what a finished container leaves: its cgroup (with whatever still
   * runs in it, as runc's destroy) and its state directory; then runs poststop.
   */
  private async removeContainer(id: string, state?: SavedState): Promise<void> {
    let saved = state;
    if (saved === undefined) {
      try {
        saved = this.dirs.load(id);
      } catch {
        // no state.json: only the directory is left
      }
    }
    if (saved?.cgroupPaths !== undefined) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { removeContainerCgroup } = require('./cgroups/cleanup') as typeof import('./cgroups/cleanup');
      await removeContainerCgroup(saved.cgroupPaths);
    }
    const later = saved && laterHooks(this.dirs.dir(id));
    this.dirs.remove(id);
    // poststop runs once the container is gone; its failures are warnings (runtime-spec lifecycle).
    if (saved && later?.set.poststop) later.hooks.runPoststop(later.set.poststop, { id, bundle: saved.bundle, annotations: saved.annotations }, this.log);
  }

  private killAndWait(state: SavedState): void {
    let pidfd: number;
    try {
      pidfd = pidfdOpen(state.pid);
    } catch {
      return; // already gone
    }
    try {
      if (!isAlive(state)) return;
      pidfdSendSignal(pidfd, SIGKILL);
      if (!pollReadable(pidfd, KILL_WAIT_MS) && isAlive(state)) {
        throw new ContainerStateError(`container ${state.id}: process ${state.pid} did not exit after SIGKILL`);
      }
    } catch (err) {
      if (err instanceof SysError && err.errno === 'ESRCH') return;
      throw err;
    } finally {
      closeFd(pidfd);
    }
  }

  /** Freezes every process of the container (runc pause): `state` then says "paused". */
  async pause(id: string): Promise<void> {
    const { status, cgroup } = this.liveCgroup(id);
    if (status !== 'running' && status !== 'created') throw new ContainerNotRunningError(id);
    await cgroup.freeze();
  }

  async resume(id: string): Promise<void> {
    const { status, cgroup } = this.liveCgroup(id);
    if (status !== 'paused') throw new ContainerStateError(`container ${id}: container not paused`);
    await cgroup.thaw();
  }

  /**
   * runc update: the request (linux.resources) is merged into the saved limits, written to the
   * live cgroup and persisted in state.json, under the container's lock (update.ts). Returns warnings.
   */
  update(id: string, request: RuntimeTypes.LinuxResources): string[] {
    checkId(id);
    return this.locks.with(id, () => {
      const { state, cgroup } = this.liveCgroup(id);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { applyUpdate } = require('./update') as typeof import('./update');
      return applyUpdate(this.dirs, state, cgroup, request);
    });
  }

  /** The cgroup of a container that has not stopped (events, update, pause, resume). */
  liveCgroup(id: string): { state: SavedState; status: Status; cgroup: CgroupManager } {
    const state = this.dirs.load(id);
    const status = statusOf(this.dirs, state);
    if (status === 'stopped') throw new ContainerNotRunningError(id);
    const cgroup = cgroupOf(state);
    if (!cgroup) throw new ContainerStateError(`container ${id} has no cgroup of its own (rootless without permission to create one, or created by an older berth-runtime)`);
    return { state, status, cgroup };
  }

  /** Host pids of the container's processes: those in its cgroup (else its pid namespace, or just its init). */
  pids(id: string): number[] {
    const state = this.dirs.load(id);
    const cgroup = cgroupOf(state);
    if (cgroup) return cgroup.exists() ? cgroup.pids().sort((a, b) => a - b) : [];
    if (!isAlive(state)) return [];
    if (!state.ownPidNs) return [state.pid];
    let ns: string;
    try {
      ns = fs.readlinkSync(`/proc/${state.pid}/ns/pid`);
    } catch {
      return [];
    }
    const pids: number[] = [];
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (fs.readlinkSync(`/proc/${name}/ns/pid`) === ns) pids.push(Number(name));
      } catch {
        // exited, or not ours to read
      }
    }
    return pids.sort((a, b) => a - b);
  }
}

function stringAnnotations(a: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!a) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) out[k] = String(v);
  return out;
}
