import { MS } from '@berth/sys';

/** Capability names in kernel order (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40). */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** RLIMIT_* numbers on Linux. */
export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

/** Mount options that set (or clear) MS_* flags, as runc maps them. */
export const MOUNT_FLAGS: Record<string, { set: number } | { clear: number }> = {
  async: { clear: MS.SYNCHRONOUS }, atime: { clear: MS.NOATIME }, bind: { set: MS.BIND }, defaults: { set: 0 },
  dev: { clear: MS.NODEV }, diratime: { clear: MS.NODIRATIME }, dirsync: { set: MS.DIRSYNC },
  exec: { clear: MS.NOEXEC }, mand: { set: MS.MANDLOCK }, noatime: { set: MS.NOATIME }, nodev: { set: MS.NODEV },
  nodiratime: { set: MS.NODIRATIME }, noexec: { set: MS.NOEXEC }, nomand: { clear: MS.MANDLOCK },
  norelatime: { clear: MS.RELATIME }, nostrictatime: { clear: MS.STRICTATIME }, nosuid: { set: MS.NOSUID },
  nosymfollow: { set: MS.NOSYMFOLLOW }, symfollow: { clear: MS.NOSYMFOLLOW }, rbind: { set: MS.BIND | MS.REC },
  relatime: { set: MS.RELATIME }, remount: { set: MS.REMOUNT }, ro: { set: MS.RDONLY }, rw: { clear: MS.RDONLY },
  strictatime: { set: MS.STRICTATIME }, suid: { clear: MS.NOSUID }, sync: { set: MS.SYNCHRONOUS },
};

export const MOUNT_PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** Options runc knows that berth does not implement yet: refused, never ignored. */
export const UNSUPPORTED_MOUNT_OPTIONS = new Set([
  'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime',
  'rrelatime', 'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow',
  'rsymfollow', 'idmap', 'ridmap', 'tmpcopyup',
]);
