import { sys } from './native';

/** File type bits for mknod. */
export const S_IF = { CHR: 0o020000, BLK: 0o060000, FIFO: 0o010000, REG: 0o100000 } as const;

export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  sys((n) => n.mknod(path, mode, major, minor));
}

/** lsetxattr flags. */
export const XATTR = { CREATE: 1, REPLACE: 2 } as const;

/** Extended attributes; never follow a final symlink (the l* calls). */
export function setXattr(path: string, name: string, value: Buffer, flags = 0): void {
  sys((n) => n.lsetxattr(path, name, value, flags));
}

export function getXattr(path: string, name: string): Buffer {
  return sys((n) => n.lgetxattr(path, name));
}

export function listXattrs(path: string): string[] {
  return sys((n) => n.llistxattr(path));
}

export function removeXattr(path: string, name: string): void {
  sys((n) => n.lremovexattr(path, name));
}
