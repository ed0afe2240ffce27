import { native, sys, toSysError } from './native';

/** Connects a unix stream socket; the fd is close-on-exec. */
export function unixConnect(path: string): number {
  return sys((n) => n.unixConnect(path));
}

/** Binds and listens on a unix stream socket; the fd is close-on-exec. */
export function unixListen(path: string): number {
  return sys((n) => n.unixListen(path));
}

/** Sends `fd` with SCM_RIGHTS in one message whose payload is `data` (runc sends the fd's name). */
export function sendFd(socketFd: number, fd: number, data: string): void {
  sys((n) => n.sendFd(socketFd, fd, data));
}

/** Receives one fd (blocking). */
export function recvFd(socketFd: number): { fd: number; data: string } {
  return sys((n) => n.recvFd(socketFd));
}

/** Accepts one connection on `listenFd` and receives one fd from it, off the main thread. */
export async function acceptRecvFd(listenFd: number): Promise<{ fd: number; data: string }> {
  try {
    return await native().acceptRecvFd(listenFd);
  } catch (err) {
    throw toSysError(err);
  }
}

/** Opens a pty pair; both fds are close-on-exec. */
export function openpty(): { master: number; slave: number; path: string } {
  return sys((n) => n.openpty());
}

export function closeFd(fd: number): void {
  sys((n) => n.close(fd));
}

/** Lets children spawned later inherit `fd`. */
export function clearCloexec(fd: number): void {
  sys((n) => n.clearCloexec(fd));
}

/** A terminal's window size (TIOCGWINSZ). */
export function getWinsize(fd: number): { rows: number; cols: number } {
  return sys((n) => n.getWinsize(fd));
}

/** Sets a pty's window size (TIOCSWINSZ): its foreground process group gets SIGWINCH. */
export function setWinsize(fd: number, rows: number, cols: number): void {
  sys((n) => n.setWinsize(fd, rows, cols));
}

/** cfmakeraw(3) on a terminal (OPOST cleared too, unlike Node's setRawMode), as runc sets the one it proxies. */
export function makeRaw(fd: number): void {
  sys((n) => n.makeRaw(fd));
}

/** flock(2) operations. */
export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;

/**
 * flock(2) on `fd`: blocks the thread until granted, or with LOCK.NB returns false when another
 * open file description holds it. Released by LOCK.UN or when the last fd of that description closes.
 */
export function flock(fd: number, operation: number): boolean {
  return sys((n) => n.flock(fd, operation));
}
