import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import * as os from 'node:os';
import type { Duplex } from 'node:stream';
import { closeFd, encodePlan, initPath, unixConnect, type LaunchPlan } from '@berth/sys';
import { InitError } from './errors';
import { HookError } from './hooks';

export interface Launched {
  /** Host pid of the container's first process. */
  pid: number;
  /** berth-init itself: it exits at once, or (plan.wait) with the container's status. */
  init: ChildProcess;
  /** Resolves with berth-init's exit status. */
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
  const stdio: StdioOptions = [0, 1, 2];
  for (let fd = 3; fd < syncIndex; fd++) stdio.push(fd);
  stdio.push('pipe');
  let consoleFd: number | undefined;
  if (consoleSocket !== undefined) {
    consoleFd = unixConnect(consoleSocket);
    stdio.push(consoleFd);
    plan = { ...plan, consoleFd: syncIndex + 1 };
  }
  let init: ChildProcess;
  try {
    init = spawn(initPath(), [String(syncIndex)], { stdio });
  } finally {
    if (consoleFd !== undefined) closeFd(consoleFd);
  }
  const exited = new Promise<number>((resolve) => {
    init.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
  });
  const spawnError = new Promise<never>((_, reject) => init.on('error', (err) => reject(new InitError(`cannot run ${initPath()}: ${err.message}`))));
  const sync = init.stdio[syncIndex] as Duplex;
  sync.write(encodePlan(plan));

  const answer = new Promise<number>((resolve, reject) => {
    let buffered = '';
    let pid = 0;
    let ready = false;
    let failed: string | undefined;
    let hookError: unknown;
    const resume = async (p: number) => {
      try {
        await hooks.beforePivot!(p);
        sync.write('r');
      } catch (err) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
        hookError ??= err;
      }
    };
    const go = async (p: number) => {
      try {
        await hooks.onPid!(p);
        sync.write('g');
      } catch (err) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
        failed ??= err instanceof Error ? err.message : String(err);
      }
    };
    sync.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('pid ')) {
          pid = Number(line.slice(4));
          if (hooks.onPid) void go(pid);
        }
        else if (line === 'hooks') void resume(pid);
        else if (line === 'ready') ready = true;
        else if (line.startsWith('error ')) failed ??= line.slice(6);
      }
    });
    sync.on('error', () => undefined); // EPIPE when init died early: reported through 'close'
    sync.on('close', () => {
      if (hookError !== undefined) reject(hookError);
      else if (failed !== undefined) reject(hookFailure(failed) ?? new InitError(failed));
      else if (ready && pid > 0) resolve(pid);
      else reject(new InitError('berth-init exited before the container was ready'));
    });
  });
  try {
    const pid = await Promise.race([answer, spawnError]);
    return { pid, init, exited };
  } catch (err) {
    await exited;
    throw err;
  } finally {
    sync.destroy();
  }
}

/** createContainer and startContainer failures, which berth-init reports as "<stage> hook #N <path>: ...". */
function hookFailure(message: string): HookError | undefined {
  return /^(createContainer|startContainer) hook #\d+ /.test(message) ? new HookError(message) : undefined;
}
