import { native, sys, toSysError } from './native';

/** setns(2) / clone(2) namespace flags. */
export const CLONE_NEW = {
  NS: 0x00020000,
  CGROUP: 0x02000000,
  UTS: 0x04000000,
  IPC: 0x08000000,
  USER: 0x10000000,
  PID: 0x20000000,
  NET: 0x40000000,
} as const;

export function setns(fd: number, nstype: number): void {
  sys((n) => n.setns(fd, nstype));
}

/** prctl options used by berth. */
export const PR = { SET_PDEATHSIG: 1, GET_DUMPABLE: 3, SET_CHILD_SUBREAPER: 36, GET_CHILD_SUBREAPER: 37, GET_NO_NEW_PRIVS: 39 } as const;

export function prctl(option: number, arg2 = 0): number {
  return sys((n) => n.prctl(option, arg2));
}

/** A pidfd: signals go to exactly this process, never to a recycled pid. */
export function pidfdOpen(pid: number): number {
  return sys((n) => n.pidfdOpen(pid));
}

export function pidfdSendSignal(pidfd: number, signal: number): void {
  sys((n) => n.pidfdSendSignal(pidfd, signal));
}

/** Waits up to timeoutMs for fd to be readable (a pidfd: the process exited). Blocks the thread. */
export function pollReadable(fd: number, timeoutMs: number): boolean {
  return sys((n) => n.pollReadable(fd, timeoutMs));
}

/** Waits for a child of this process (e.g. one reparented to a subreaper) off the main thread. */
export async function waitPid(pid: number): Promise<{ code: number | null; signal: number | null }> {
  try {
    return await native().waitPid(pid);
  } catch (err) {
    throw toSysError(err);
  }
}
