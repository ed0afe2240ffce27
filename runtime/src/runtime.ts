import * as fs from 'node:fs';
import * as os from 'node:os';
import { S_IF, SysError, closeFd, mknod, pidfdOpen, pidfdSendSignal, pollReadable } from '@berth/sys';
import { ContainerExistsError, ContainerNotFoundError, ContainerNotRunningError, ContainerStateError } from './errors';
import type { LaunchHooks, Launched } from './launch';
import type { TtyProxy } from './tty';
import { Logger } from './log';
import { StateDir, checkId, isAlive, procStat, report, statusOf, writeAtomic, type SavedState, type StateReport } from './state';

export interface CreateOptions {
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** Runs with the host pid before the container sets up (e.g. to join its cgroups); see launch(). */
  onPid?: LaunchHooks['onPid'];
}

export interface RunOptions extends CreateOptions {
  detach?: boolean;
  keep?: boolean;
}

const KILL_WAIT_MS = 10_000;

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
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** The runc lifecycle over a state directory (--root). */
export class Runtime {
  readonly dirs: StateDir;
  readonly log: Logger;

  constructor(opts: { root?: string; log?: Logger } = {}) {
    this.dirs = new StateDir(opts.root);
    this.log = opts.log ?? new Logger();
  }

  async create(id: string, opts: CreateOptions): Promise<number> {
    const launched = await this.launchContainer(id, opts, false);
    return launched.pid;
  }

  /** Creates and starts; in the foreground waits and returns the exit status (128+N on signal N). */
  async run(id: string, opts: RunOptions): Promise<number> {
    let tty: TtyProxy | undefined;
    if (!opts.detach && !opts.consoleSocket && createModules().loadBundle(opts.bundle).config.process?.terminal) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      tty = (require('./tty') as typeof import('./tty')).TtyProxy.listen();
      opts = { ...opts, consoleSocket: tty.socketPath };
    }
    let launched: Launched;
    try {
      launched = await this.launchContainer(id, opts, !opts.detach);
      await tty?.attach();
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
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
    if (!opts.detach) for (const s of signals) process.on(s, forward);
    try {
      this.start(id);
      if (opts.detach) return 0;
      const status = await launched.exited;
      await tty?.close();
      return status;
    } finally {
      for (const s of signals) process.removeListener(s, forward);
      if (!opts.detach && !opts.keep) this.dirs.remove(id);
    }
  }

  private async launchContainer(id: string, opts: CreateOptions, wait: boolean): Promise<Launched> {
    checkId(id);
    if (this.dirs.exists(id)) throw new ContainerExistsError(id);
    const { loadBundle, buildPlan, launch } = createModules();
    const bundle = loadBundle(opts.bundle);
    const preserveFds = opts.preserveFds ?? 0;
    // Validate everything before touching the state dir: bad input leaves nothing behind.
    const probe = { id, noNewKeyring: opts.noNewKeyring === true, noPivot: opts.noPivot === true, preserveFds, consoleFd: opts.consoleSocket ? -1 : undefined, wait };
    buildPlan(bundle, { ...probe, stateDir: '/' });
    let dir: string;
    try {
      dir = this.dirs.create(id);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ContainerExistsError(id);
      throw err;
    }
    let launched: Launched | undefined;
    try {
      const fifo = this.dirs.fifo(id);
      mknod(fifo, S_IF.FIFO | 0o622);
      fs.chmodSync(fifo, 0o622);
      const { plan, warnings, notes } = buildPlan(bundle, { ...probe, stateDir: dir });
      for (const w of warnings) this.log.warn(w);
      for (const n of notes) this.log.debug(n);
      launched = await launch(plan, opts.consoleSocket, { onPid: opts.onPid });
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
      };
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
      this.dirs.remove(id);
      throw err;
    }
  }

  /** Lets a created container run its process: opens the exec fifo that init blocks on. */
  start(id: string): void {
    const state = this.dirs.load(id);
    const status = statusOf(this.dirs, state);
    if (status === 'running') throw new ContainerStateError(`cannot start an already running container ${id}`);
    if (status === 'stopped') throw new ContainerStateError(`cannot start a container that has stopped: ${id}`);
    const fifo = this.dirs.fifo(id);
    const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      for (;;) {
        if (pollReadable(fd, 100)) {
          const buf = Buffer.alloc(1);
          let n = 0;
          try {
            n = fs.readSync(fd, buf);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
            continue;
          }
          if (n === 1) break;
          throw new ContainerStateError(`cannot start container ${id}: its init exited before start`);
        }
        if (!isAlive(state)) throw new ContainerStateError(`cannot start a container that has stopped: ${id}`);
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.rmSync(fifo, { force: true });
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

  kill(id: string, signal: number, all = false): void {
    const state = this.dirs.load(id);
    if (statusOf(this.dirs, state) === 'stopped') throw new ContainerNotRunningError(id);
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

  delete(id: string, force = false): void {
    checkId(id);
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
    if (status === 'running' && !force) {
      throw new ContainerStateError(`cannot delete container ${id} that is not stopped: running`);
    }
    if (status !== 'stopped') this.killAndWait(state);
    this.dirs.remove(id);
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
      pidfdSendSignal(pidfd, os.constants.signals.SIGKILL);
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

  /** Host pids of the container's processes (its pid namespace, or just its init). */
  pids(id: string): number[] {
    const state = this.dirs.load(id);
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
