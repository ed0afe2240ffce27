import { sys } from './native';

/** Linux mount(2) flags. */
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;

/** umount2(2) flags. */
export const MNT = { FORCE: 1, DETACH: 2, EXPIRE: 4 } as const;

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
  sys((n) => n.mount(source, target, fstype, flags, data));
}

export function umount2(target: string, flags = 0): void {
  sys((n) => n.umount2(target, flags));
}
