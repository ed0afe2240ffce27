import { native, sys, SysError } from './native';

/** A process started by spawnProcess. */
export interface Spawned {
  pid: number;
  /**
   * Resolves once the process exited and was reaped: `code` when it exited,
   * else `signal` (the number) that killed it. Until then the event loop stays
   * alive, as with a ChildProcess.
   */
  exited: Promise<{ code: number | null; signal: number | null }>;
}

export interface SpawnOptions {
  /**
   * Run a sealed memfd copy of the file instead of the file itself: its
   * /proc/<pid>/exe is then no host file a container could open for writing.
   */
  sealed?: boolean;
}

/**
 * Starts `file` with `args` (argv[0] included): the child's fd i is `fds[i]`
 * (0, 1, 2 for our stdio), and nothing else of ours stays open in it; signal
 * dispositions are the defaults, the mask is empty, the environment is ours.
 * Without node:child_process (see native/addon/spawn.c). Throws a SysError
 * naming `file` when it cannot be run.
 */
export function spawnProcess(file: string, args: string[], fds: number[], opts: SpawnOptions = {}): Spawned {
  const n = native();
  let exec: string | number = file;
  if (opts.sealed) exec = sys((a) => a.sealedExecutable(file));
  let started: { pid: number; pidfd: number };
  try {
    started = sys((a) => a.spawn(exec, args, fds));
  } catch (err) {
    throw err instanceof SysError && typeof exec === 'number' ? new SysError(err.syscall, err.errno, err.message.replace(`fd ${exec}`, file), file) : err;
  } finally {
    if (typeof exec === 'number') n.close(exec);
  }
  const exited = new Promise<{ code: number | null; signal: number | null }>((resolve, reject) => {
    n.watchExit(started.pidfd, (code, signal, error) => {
      if (error !== null) reject(new SysError('waitid', error, `waitid ${file}: ${error}`, file));
      else resolve({ code, signal });
    });
  });
  return { pid: started.pid, exited };
}

/** A connected pair of unix stream sockets, both close-on-exec. */
export function socketPair(): [number, number] {
  return sys((n) => n.socketPair());
}
