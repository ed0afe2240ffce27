import * as path from 'node:path';
import { BerthError } from '@berth/spec';

/** The addon's raw functions (native/addon/addon.c). Use the typed wrappers instead. */
export interface NativeAddon {
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer, flags: number): void;
  lgetxattr(path: string, name: string): Buffer;
  llistxattr(path: string): string[];
  lremovexattr(path: string, name: string): void;
  setns(fd: number, nstype: number): void;
  prctl(option: number, arg2: number): number;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, signal: number): void;
  pollReadable(fd: number, timeoutMs: number): boolean;
  openpty(): { master: number; slave: number; path: string };
  unixConnect(path: string): number;
  unixListen(path: string): number;
  sendFd(socketFd: number, fd: number, data: string): void;
  recvFd(socketFd: number): { fd: number; data: string };
  acceptRecvFd(listenFd: number): Promise<{ fd: number; data: string }>;
  waitPid(pid: number): Promise<{ code: number | null; signal: number | null }>;
  close(fd: number): void;
  clearCloexec(fd: number): void;
  flock(fd: number, operation: number): boolean;
  getWinsize(fd: number): { rows: number; cols: number };
  setWinsize(fd: number, rows: number, cols: number): void;
  makeRaw(fd: number): void;
  bpfProgLoad(progType: number, insns: Buffer, license: string): number;
  bpfProgQuery(targetFd: number, attachType: number): number[];
  bpfProgGetFdById(id: number): number;
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number, replaceFd?: number): void;
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void;
  spawn(exec: string | number, argv: string[], fds: number[]): { pid: number; pidfd: number };
  socketPair(): [number, number];
  sealedExecutable(path: string): number;
  watchExit(pidfd: number, callback: (code: number | null, signal: number | null, error: string | null) => void): void;
}

/** A failed syscall: `errno` is the errno name (EPERM), `path` what it was applied to. */
export class SysError extends BerthError {
  readonly errno: string;
  readonly syscall: string;
  readonly path: string | undefined;

  constructor(syscall: string, errno: string, message: string, path?: string) {
    super('ERR_BERTH_SYSCALL', message);
    this.errno = errno;
    this.syscall = syscall;
    this.path = path;
  }
}

/** The addon is missing or was built for another Node. */
export class AddonNotBuiltError extends BerthError {
  constructor(file: string, cause: unknown) {
    super('ERR_BERTH_ADDON_NOT_BUILT', `the native addon ${file} cannot be loaded (run npm install in the repository root)`, { cause });
  }
}

/** The build output directory, the same from src/ (tests) and dist/ (installed). */
export const buildDir = path.resolve(__dirname, '..', 'build', 'Release');

let addon: NativeAddon | undefined;

/** Loads the addon on first use, so importing @berth/sys costs nothing. */
export function native(): NativeAddon {
  if (!addon) {
    const file = path.join(buildDir, 'berth_sys.node');
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      addon = require(file) as NativeAddon;
    } catch (err) {
      throw new AddonNotBuiltError(file, err);
    }
  }
  return addon;
}

interface RawSysError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
}

/** Runs an addon call, turning its errors into SysError. */
export function sys<T>(fn: (n: NativeAddon) => T): T {
  const n = native();
  try {
    return fn(n);
  } catch (err) {
    throw toSysError(err);
  }
}

export function toSysError(err: unknown): unknown {
  const e = err as RawSysError;
  if (typeof e === 'object' && e !== null && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return new SysError(e.syscall, e.code, e.message, e.path);
  }
  return err;
}
