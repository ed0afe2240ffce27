/**
 * Starting the container and waiting for it: through the runtime library
 * in-process (berth-runtime, the default) or a runc-compatible binary
 * (`--runtime runc`). Both resolve to the container's exit status (128+N
 * for signal N) or throw a RunError whose exit code follows Docker's
 * conventions (126 cannot execute, 127 not found, 125 anything else).
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT_BERTH_ERROR, EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND, ExecError, RunError } from './errors';

export interface Executor {
  /**
   * Runs the bundle in the foreground; resolves to the exit status. `stdin`
   * (-i) feeds our stdin to the container; without it and without a terminal
   * the container reads /dev/null, and with a terminal (-t without -i) its
   * pty gets no input, as with Docker.
   */
  run(id: string, bundle: string, io: { stdin: boolean; tty: boolean }): Promise<number>;
  /** SIGKILLs the container if it is running (a second Ctrl-C). */
  killHard(id: string): void;
  /** Passes a signal to the container, unless the runtime does that itself. */
  forward(sig: NodeJS.Signals): void;
  /** Removes whatever runtime state is left for the container. */
  cleanup(id: string): Promise<void>;
}

/**
 * Docker's mapping of a start failure to an exit status (docker/cli
 * container/run.go): not found → 127, permission denied or a directory → 126.
 */
export function execFailureStatus(message: string): number {
  if (/executable file not found|no such file or directory|\bENOENT\b|\bENOTDIR\b/i.test(message)) return EXIT_NOT_FOUND;
  if (/permission denied|is a directory|\bEACCES\b|\bEISDIR\b|\bENOEXEC\b|exec format error/i.test(message)) return EXIT_CANNOT_EXECUTE;
  return EXIT_BERTH_ERROR;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOEXEC: 'exec format error',
};

/** berth-init's `exec /etc: EACCES` in the words Docker users know: `exec: "/etc": permission denied`. */
export function describeInitFailure(message: string): string {
  const m = /^exec (\/.*): (E[A-Z]+)$/.exec(message);
  if (m) return `exec: ${JSON.stringify(m[1])}: ${ERRNO_TEXT[m[2]] ?? m[2]}`;
  return message;
}

/**
 * Makes fd 0 /dev/null, so a container run without -i reads nothing (as with
 * Docker) although the runtime hands it our stdio. open(2) returns the lowest
 * free fd, which is 0 right after closing it; nothing else runs on this
 * thread in between.
 */
export function detachStdin(): void {
  closeSync(0);
  const fd = openSync('/dev/null', 'r');
  if (fd !== 0) {
    closeSync(fd);
    throw new RunError('ERR_BERTH_RUN_STDIN', 'cannot redirect stdin to /dev/null');
  }
}

/**
 * The runtime library in this process, with its state under `<berth root>/runtime`;
 * compiled seccomp programs are cached in `seccompCacheDir` across runs.
 */
export async function inProcessExecutor(stateRoot: string, seccompCacheDir?: string): Promise<Executor> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when a container starts, without the ESM loader
  const { Runtime, InitError } = require('@berth/runtime') as typeof import('@berth/runtime');
  const runtime = new Runtime({ root: stateRoot });
  let pid: number | undefined;
  let started = false;
  return {
    async run(id, bundle, io) {
      if (!io.stdin && !io.tty) detachStdin();
      try {
        return await runtime.run(id, {
          bundle,
          stdin: io.stdin,
          seccompCacheDir,
          onPid: (p) => {
            pid = p;
          },
        });
      } catch (err) {
        if (err instanceof InitError) {
          const message = describeInitFailure(err.message);
          throw new ExecError(message, execFailureStatus(err.message));
        }
        throw err;
      } finally {
        started = true;
      }
    },
    killHard(id) {
      const direct = () => {
        if (pid === undefined) return;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      };
      // Runtime.kill is async (it may thaw a paused cgroup): a rejection must not go unhandled.
      runtime.kill(id, os.constants.signals.SIGKILL).catch(direct);
    },
    forward(sig) {
      // Runtime.run forwards signals itself once the container runs (it adds its own
      // listener); before that, between launch and start, we pass the signal on.
      if (started || pid === undefined || process.listenerCount(sig) > 1) return;
      try {
        process.kill(pid, sig);
      } catch {
        // gone
      }
    },
    async cleanup(id) {
      try {
        await runtime.delete(id, true);
      } catch {
        // nothing left, or an invalid id: nothing to clean
      }
    },
  };
}

interface RuncLogLine {
  level?: string;
  msg?: string;
}

/** A runc-compatible binary (`--runtime runc`), state under `<berth root>/<name>`, errors from its JSON log. */
export function binaryExecutor(binary: string, stateRoot: string, logFile: string): Executor {
  // only this executor starts processes: the in-process one (the default) never loads child_process
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn, spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const base = ['--root', stateRoot, '--log', logFile, '--log-format', 'json'];
  let child: ChildProcess | undefined;
  return {
    async run(id, bundle, io) {
      await fs.mkdir(path.dirname(logFile), { recursive: true });
      child = spawn(binary, [...base, 'run', '--bundle', bundle, id], { stdio: [io.stdin ? 'inherit' : 'ignore', 'inherit', 'inherit'] });
      const proc = child;
      const status = await new Promise<number>((resolve, reject) => {
        proc.on('error', (err) => reject(new RunError('ERR_BERTH_RUN_RUNTIME', `cannot run ${binary}: ${err.message}`)));
        proc.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
      });
      const errors = (await fs.readFile(logFile, 'utf8').catch(() => ''))
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          try {
            return JSON.parse(l) as RuncLogLine;
          } catch {
            return {};
          }
        })
        .filter((l) => l.level === 'error' || l.level === 'fatal')
        .map((l) => l.msg ?? '');
      // runc has printed the error on stderr already; only the status is ours to choose.
      if (errors.length > 0) throw new ExecError('', execFailureStatus(errors.join('\n')));
      return status;
    },
    killHard(id) {
      spawnSync(binary, [...base, 'kill', id, 'KILL'], { stdio: 'ignore' });
    },
    forward(sig) {
      // runc run passes every signal it gets on to the container
      child?.kill(sig);
    },
    async cleanup(id) {
      spawnSync(binary, [...base, 'delete', '--force', id], { stdio: 'ignore' });
    },
  };
}
