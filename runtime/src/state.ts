import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuntimeTypes } from '@berth/spec';
import { isFrozen } from './cgroups/frozen';
import { ContainerNotFoundError, ContainerStateError, InvalidIdError } from './errors';

export const DEFAULT_ROOT = '/run/berth-runtime';
/** The runtime-spec version berth-runtime implements (reported by `state`). */
export const OCI_VERSION = '1.3.0';

/** runc's statuses: the runtime-spec ones plus "paused" (a frozen cgroup). */
export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** What state.json holds: enough to find the process again and to answer `state`. */
export interface SavedState {
  id: string;
  /** Host pid of the container's first process. */
  pid: number;
  /** Its start time (clock ticks since boot, /proc/PID/stat field 22): a recycled pid never matches. */
  startTime: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /** Whether the container has its own pid namespace (kill --all may then walk it). */
  ownPidNs: boolean;
  /** The container's cgroup directories (the manager's paths(): controller to directory, "" for cgroup2). */
  cgroupPaths?: Record<string, string>;
  /** linux.resources as the last `update` left them (runc saves its merged cgroup config); absent: the config's. */
  resources?: RuntimeTypes.LinuxResources;
}

/** `state` output: the runtime-spec state plus runc's extra fields. */
export interface StateReport {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

/** runc's rule: letters, digits, _ + - . ; and never "." or "..". */
export function checkId(id: string): void {
  if (id === '') throw new InvalidIdError(id, 'it is empty');
  if (id.includes('/')) throw new InvalidIdError(id, 'it contains /');
  if (id === '.' || id === '..') throw new InvalidIdError(id, 'it is . or ..');
  if (!/^[\w+\-.]+$/.test(id)) throw new InvalidIdError(id, 'only letters, digits, _ + - and . are allowed');
  if (id.length > 1024) throw new InvalidIdError(id, 'it is longer than 1024 characters');
}

export class StateDir {
  constructor(readonly root: string = DEFAULT_ROOT) {}

  dir(id: string): string {
    checkId(id);
    return path.join(this.root, id);
  }

  fifo(id: string): string {
    return path.join(this.dir(id), 'exec.fifo');
  }

  /** Creates the container's directory; fails with EEXIST if the id is taken. */
  create(id: string): string {
    const dir = this.dir(id);
    fs.mkdirSync(this.root, { recursive: true, mode: 0o711 });
    fs.mkdirSync(dir, { mode: 0o711 });
    // Readable by a non-root container process that waits on the fifo.
    fs.chmodSync(dir, 0o711);
    return dir;
  }

  /**
   * Writes state.json whole (temp + rename, no fsync, as runc's saveState): a crash of this
   * process leaves the old or the new file. A crash of the machine may leave an empty one on a
   * disk-backed root (the usual /run is tmpfs, and empties): every container it described is
   * gone then, `delete` removes such a directory, and load() says what happened.
   */
  save(state: SavedState): void {
    writeAtomic(path.join(this.dir(state.id), 'state.json'), JSON.stringify(state), 0o600, false);
  }

  load(id: string): SavedState {
    const file = path.join(this.dir(id), 'state.json');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      throw new ContainerNotFoundError(id);
    }
    try {
      return JSON.parse(text) as SavedState;
    } catch {
      throw new ContainerStateError(`container ${id}: ${file} is not valid JSON (left by a crash of the machine?): delete the container`);
    }
  }

  exists(id: string): boolean {
    return fs.existsSync(this.dir(id));
  }

  remove(id: string): void {
    fs.rmSync(this.dir(id), { recursive: true, force: true });
  }

  /** Ids with a state.json, sorted. */
  list(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return [];
    }
    return names.filter((n) => fs.existsSync(path.join(this.root, n, 'state.json'))).sort();
  }
}

/**
 * Writes `file` whole or not at all (temp + rename). `durable` (the default) also fsyncs before
 * the rename, so that a crash of the machine leaves the old or the new file, not an empty one:
 * for files others read after a reboot (pid files, as runc's O_SYNC ones). The runtime's own
 * state-dir files skip it: 10-25 ms per fsync on a loaded disk, and runc does without.
 */
export function writeAtomic(file: string, data: string, mode = 0o600, durable = true): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, data);
    if (durable) fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

/** State letter and start time from /proc/PID/stat, or undefined if there is no such process. */
export function procStat(pid: number): { state: string; startTime: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], startTime: Number(fields[19]) };
}

/** Whether the container's process still exists (not a zombie, not a recycled pid). */
export function isAlive(state: Pick<SavedState, 'pid' | 'startTime'>): boolean {
  if (state.pid <= 0) return false;
  const st = procStat(state.pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X' && st.startTime === state.startTime;
}

export function statusOf(dirs: StateDir, state: SavedState): Status {
  if (!isAlive(state)) return 'stopped';
  if (state.cgroupPaths !== undefined && isFrozen(state.cgroupPaths)) return 'paused';
  return fs.existsSync(dirs.fifo(state.id)) ? 'created' : 'running';
}

export function report(dirs: StateDir, state: SavedState): StateReport {
  const status = statusOf(dirs, state);
  const r: StateReport = {
    ociVersion: OCI_VERSION,
    id: state.id,
    pid: status === 'stopped' ? 0 : state.pid,
    status,
    bundle: state.bundle,
    rootfs: state.rootfs,
    created: state.created,
    owner: state.owner,
  };
  if (state.annotations && Object.keys(state.annotations).length) r.annotations = state.annotations;
  return r;
}
