// Kernel ABI constants for seccomp filters (include/uapi/linux/seccomp.h,
// include/uapi/linux/audit.h, include/uapi/linux/filter.h).

/** Return values of a filter: the action in the high 16 bits, data in the low 16. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

/** seccomp(SECCOMP_SET_MODE_FILTER, flags, ...) flags. */
export const SECCOMP_FILTER_FLAG = {
  TSYNC: 1 << 0,
  LOG: 1 << 1,
  SPEC_ALLOW: 1 << 2,
  NEW_LISTENER: 1 << 3,
  TSYNC_ESRCH: 1 << 4,
  WAIT_KILLABLE_RECV: 1 << 5,
} as const;

/** AUDIT_ARCH_* values as seccomp_data.arch reports them. */
export const AUDIT_ARCH = {
  X86_64: 0xc000003e,
  I386: 0x40000003,
  AARCH64: 0xc00000b7,
  ARM: 0x40000028,
} as const;

/** x32 syscalls run with AUDIT_ARCH_X86_64 and this bit set in the number. */
export const X32_SYSCALL_BIT = 0x40000000;

/** The kernel refuses longer programs (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/** Offsets in struct seccomp_data. */
export const SECCOMP_DATA = {
  NR: 0,
  ARCH: 4,
  IP: 8,
  ARGS: 16,
  SIZE: 64,
} as const;

/** Classic BPF opcodes (the subset seccomp accepts). */
export const BPF = {
  // classes
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  RET: 0x06,
  MISC: 0x07,
  // ld/ldx sizes and modes
  W: 0x00,
  IMM: 0x00,
  ABS: 0x20,
  MEM: 0x60,
  LEN: 0x80,
  // alu/jmp operations
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  // sources
  K: 0x00,
  X: 0x08,
  A: 0x10,
  // misc
  TAX: 0x00,
  TXA: 0x80,
} as const;

export const ENOSYS = 38;
export const EPERM = 1;
