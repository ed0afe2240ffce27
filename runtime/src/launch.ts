import * as fs from 'node:fs';
import { closeFd, encodePlan, initPath, socketPair, spawnProcess, unixConnect, type LaunchPlan } from '@berth/sys';
import { InitError } from './errors';
import { HookError } from './hooks';

export interface Launched {
  /** Host pid of the container's first process. */
  pid: number;
  /** Resolves with berth-init's exit status (128 + signal when killed): at once, or (plan.wait) the container's. */
  exited: Promise<number>;
}

/**
 * Starts berth-init with the container's stdio (ours), the preserved fds at
 * 3..3+N-1, the sync socket after them and the console socket after that;
 * sends the plan and waits until the process is ready (blocked on the exec
 * fifo) or reports the step that failed.
 */
export interface LaunchHooks {
  /**
   * Called with the host pid before the process sets anything up (the plan
   * gets waitForParent): the place to move it into the container's cgroups.
   * A throw aborts the launch.
   */
  onPid?: (pid: number) => void | Promise<void>;
  /**
   * Called with the host pid once the mounts are made, before the createContainer
   * hooks and pivot_root (the plan gets hookSync): where prestart and createRuntime
   * hooks run. A throw aborts the launch with that error.
   */
  beforePivot?: (pid: number) => void | Promise<void>;
}

export async function launch(plan: LaunchPlan, consoleSocket?: string, hooks: LaunchHooks = {}): Promise<Launched> {
  if (hooks.onPid) plan = { ...plan, waitForParent: true };
  if (hooks.beforePivot) plan = { ...plan, hookSync: true };
  const syncIndex = 3 + plan.preserveFds;
  const fds = [0, 1, 2];
  for (let fd = 3; fd < syncIndex; fd++) fds.push(fd);
  if (consoleSocket !== undefined) plan = { ...plan, consoleFd: syncIndex + 1 };
  // Encoded first: a bad plan throws before anything is started.
  const encoded = encodePlan(plan);
  const [sync, theirs] = socketPair();
  let consoleFd: number | undefined;
  let started: ReturnType<typeof spawnProcess>;
  try {
    fds.push(theirs);
    if (consoleSocket !== undefined) fds.push((consoleFd = unixConnect(consoleSocket)));
    try {
      // Run from a sealed memfd copy (CVE-2019-5736): berth-init then need not copy and re-exec itself.
      started = spawnProcess(initPath(), [initPath(), String(syncIndex)], fds, { sealed: true });
    } catch (err) {
      throw new InitError(`cannot run ${initPath()}: ${(err as Error).message}`);
    }
  } catch (err) {
    closeFd(sync);
    throw err;
  } finally {
    closeFd(theirs);
    if (consoleFd !== undefined) closeFd(consoleFd);
  }
  const exited = started.exited.then(({ code, signal }) => code ?? 128 + (signal ?? 0));
  const channel = new SyncChannel(sync);
  channel.write(encoded);

  const answer = new Promise<number>((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    let pid = 0;
    let ready = false;
    let failed: string | undefined;
    let hookError: unknown;
    const resume = async (p: number) => {
      try {
        await hooks.beforePivot!(p);
        channel.write('r');
      } catch (err) {
        kill(p);
        hookError ??= err;
      }
    };
    const go = async (p: number) => {
      try {
        await hooks.onPid!(p);
        channel.write('g');
      } catch (err) {
        kill(p);
        failed ??= err instanceof Error ? err.message : String(err);
      }
    };
    channel.read(
      (chunk) => {
        buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
        let nl: number;
        while ((nl = buffered.indexOf(0x0a)) >= 0) {
          const line = buffered.toString('utf8', 0, nl);
          buffered = buffered.subarray(nl + 1);
          if (line.startsWith('pid ')) {
            pid = Number(line.slice(4));
            if (hooks.onPid) void go(pid);
          }
          else if (line === 'hooks') void resume(pid);
          else if (line === 'ready') ready = true;
          else if (line.startsWith('error ')) failed ??= line.slice(6);
        }
      },
      () => {
        if (hookError !== undefined) reject(hookError);
        else if (failed !== undefined) reject(hookFailure(failed) ?? new InitError(failed));
        else if (ready && pid > 0) resolve(pid);
        else reject(new InitError('berth-init exited before the container was ready'));
      },
    );
  });
  try {
    const pid = await answer;
    return { pid, exited };
  } catch (err) {
    await exited;
    throw err;
  } finally {
    channel.close();
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Our end of the sync socket, without node:net (whose loading costs more than
 * the launch): blocking writes of a few bytes (the plan is read at once by
 * berth-init), reads on the thread pool until end of file, when every copy of
 * the other end (berth-init's, the container process's until it execs) is closed.
 */
class SyncChannel {
  private closed = false;

  constructor(private readonly fd: number) {}

  write(data: string | Buffer): void {
    if (this.closed) return; // a hook finished after berth-init was gone
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    try {
      for (let off = 0; off < buf.length; ) off += fs.writeSync(this.fd, buf, off);
    } catch {
      // EPIPE when berth-init died early: reported through the end of file
    }
  }

  read(onData: (chunk: Buffer) => void, onEnd: () => void): void {
    const next = (): void => {
      const buf = Buffer.allocUnsafe(4096);
      fs.read(this.fd, buf, 0, buf.length, null, (err, n) => {
        if (err && err.code === 'EINTR') return next();
        if (err || n === 0) return onEnd();
        onData(buf.subarray(0, n));
        next();
      });
    };
    next();
  }

  /** After the end of file only: no read is pending then. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeFd(this.fd);
  }
}

/** createContainer and startContainer failures, which berth-init reports as "<stage> hook #N <path>: ...". */
function hookFailure(message: string): HookError | undefined {
  return /^(createContainer|startContainer) hook #\d+ /.test(message) ? new HookError(message) : undefined;
}
