import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError } from './errors';
import { delay, errCode, writeKnob } from './fs';

/*
 * Steps shared by the v1 and v2 managers: joining, waiting, removing.
 */

/** Blocks the thread briefly (cgroup.procs retries happen in synchronous code paths). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Moves a process into a cgroup. EINVAL can mean the task is still being
 * forked (TASK_NEW); runc retries five times, 30 ms apart, and so do we.
 */
export function writeProc(dir: string, pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0) throw new CgroupError(`invalid pid ${pid}`);
  for (let i = 0; ; i++) {
    try {
      writeKnob(dir, 'cgroup.procs', String(pid));
      return;
    } catch (err) {
      if (errCode((err as Error).cause) !== 'EINVAL' || i >= 4) throw err;
      sleepSync(30);
    }
  }
}

/** mkdir -p, returning the directories it created (outermost first) so a failure can undo them. */
export function mkdirTracked(dir: string): string[] {
  // The usual case first: the parent exists (one mkdir, no stat of each level).
  try {
    fs.mkdirSync(dir, { mode: 0o755 });
    return [dir];
  } catch (err) {
    if (errCode(err) === 'EEXIST') return [];
    if (errCode(err) !== 'ENOENT') throw new CgroupError(`cannot create cgroup ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const created: string[] = [];
  const missing: string[] = [];
  let cur = dir;
  while (!fs.existsSync(cur)) {
    missing.unshift(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d, { mode: 0o755 });
      created.push(d);
    } catch (err) {
      if (errCode(err) === 'EEXIST') continue;
      removeCreated(created);
      throw new CgroupError(`cannot create cgroup ${d}: ${(err as Error).message}`, { cause: err });
    }
  }
  return created;
}

/** Undoes mkdirTracked (innermost first), ignoring what cannot be removed. */
export function removeCreated(created: readonly string[]): void {
  for (const d of [...created].reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      // best effort on an error path
    }
  }
}

/**
 * Removes a cgroup and its child cgroups bottom-up. A cgroup whose last task
 * just exited can answer EBUSY for a moment, so retry with a growing delay
 * (runc: 5 tries from 10 ms); the files inside are kernel files and vanish
 * with the directory.
 */
export async function removeCgroupTree(dir: string, timeoutMs = 2000): Promise<void> {
  let children: fs.Dirent[];
  try {
    children = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (errCode(err) === 'ENOENT') return;
    throw new CgroupError(`cannot read cgroup ${dir}: ${(err as Error).message}`, { cause: err });
  }
  for (const c of children) if (c.isDirectory()) await removeCgroupTree(path.join(dir, c.name), timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() >= deadline) {
        throw new CgroupError(`cannot remove cgroup ${dir}: ${(err as Error).message}`, { cause: err });
      }
    }
    await delay(wait);
  }
}

/** Polls `done` with a growing interval until it holds or the time is up. */
export async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; !done(); wait = Math.min(wait * 2, 50)) {
    if (Date.now() >= deadline) throw new CgroupError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(wait);
  }
}

/** Sends a signal, treating an already-gone process as success. */
export function signalPid(pid: number, signal: NodeJS.Signals | number): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if (errCode(err) !== 'ESRCH') throw new CgroupError(`cannot signal pid ${pid}: ${(err as Error).message}`, { cause: err });
  }
}

/** Every pid in a cgroup and its descendants. */
export function allPids(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch (err) {
      if (errCode(err) === 'ENOENT') return;
      throw err;
    }
    try {
      for (const l of fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l !== '') out.push(Number(l));
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err;
    }
    for (const e of ents) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(dir);
  return out;
}
