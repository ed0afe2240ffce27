// The architectures berth compiles filters for: how an SCMP_ARCH_* name maps
// to the AUDIT_ARCH_* the kernel reports, its syscall table and its word size.
import { AUDIT_ARCH, X32_SYSCALL_BIT } from './constants';

export type ArchName = 'x86_64' | 'i386' | 'x32' | 'aarch64' | 'arm';

export interface ArchInfo {
  readonly name: ArchName;
  readonly scmp: string;
  readonly audit: number;
  readonly table: ReadonlyMap<string, number>;
  /**
   * 32-bit ABIs compare only the low word of an argument, as libseccomp does
   * (x32 included: its libseccomp definition is 32-bit).
   */
  readonly bits: 32 | 64;
}

/* eslint-disable @typescript-eslint/no-require-imports -- tables load on first use (start-up time) */
const LOADERS: Readonly<Record<ArchName, () => ReadonlyMap<string, number>>> = {
  x86_64: () => (require('./tables/x86_64') as typeof import('./tables/x86_64')).X86_64,
  i386: () => (require('./tables/i386') as typeof import('./tables/i386')).I386,
  x32: () => (require('./tables/x32') as typeof import('./tables/x32')).X32,
  aarch64: () => (require('./tables/aarch64') as typeof import('./tables/aarch64')).AARCH64,
  arm: () => (require('./tables/arm') as typeof import('./tables/arm')).ARM,
};
/* eslint-enable @typescript-eslint/no-require-imports */

const loaded = new Map<ArchName, ReadonlyMap<string, number>>();

/** The syscall table of one ABI (name -> number), loaded on first use. */
export function syscallTable(abi: ArchName): ReadonlyMap<string, number> {
  let table = loaded.get(abi);
  if (!table) {
    table = LOADERS[abi]();
    loaded.set(abi, table);
  }
  return table;
}

function arch(name: ArchName, scmp: string, audit: number, bits: 32 | 64): ArchInfo {
  return {
    name,
    scmp,
    audit,
    bits,
    get table() {
      return syscallTable(name);
    },
  };
}

export const ARCHES: Readonly<Record<ArchName, ArchInfo>> = {
  x86_64: arch('x86_64', 'SCMP_ARCH_X86_64', AUDIT_ARCH.X86_64, 64),
  i386: arch('i386', 'SCMP_ARCH_X86', AUDIT_ARCH.I386, 32),
  x32: arch('x32', 'SCMP_ARCH_X32', AUDIT_ARCH.X86_64, 32),
  aarch64: arch('aarch64', 'SCMP_ARCH_AARCH64', AUDIT_ARCH.AARCH64, 64),
  arm: arch('arm', 'SCMP_ARCH_ARM', AUDIT_ARCH.ARM, 32),
};

const BY_SCMP: ReadonlyMap<string, ArchName> = new Map(Object.values(ARCHES).map((a) => [a.scmp, a.name]));

/** `SCMP_ARCH_X86_64` -> `x86_64`; undefined for architectures berth has no table for. */
export function archFromScmp(scmp: string): ArchName | undefined {
  return BY_SCMP.get(scmp);
}

/** Node's `process.arch` (or an explicit native arch) -> the filter's native ABI. */
export function nativeArchName(arch: string): ArchName | undefined {
  switch (arch) {
    case 'x64':
    case 'x86_64':
    case 'amd64':
      return 'x86_64';
    case 'arm64':
    case 'aarch64':
      return 'aarch64';
    default:
      return undefined;
  }
}

/** Which ABI a syscall came from, given seccomp_data's arch and nr; undefined for unknown arches. */
export function abiOf(audit: number, nr: number): ArchName | undefined {
  switch (audit >>> 0) {
    case AUDIT_ARCH.X86_64:
      return (nr & X32_SYSCALL_BIT) !== 0 ? 'x32' : 'x86_64';
    case AUDIT_ARCH.I386:
      return 'i386';
    case AUDIT_ARCH.AARCH64:
      return 'aarch64';
    case AUDIT_ARCH.ARM:
      return 'arm';
    default:
      return undefined;
  }
}

/**
 * On i386 the socket and SysV IPC calls also reach the kernel multiplexed
 * through socketcall(2) and ipc(2), the call number in argument 0; libseccomp
 * filters both ways, the multiplexed one on the call number instead of any
 * condition on argument 0 (conditions on other arguments stay at their index,
 * as libseccomp 2.5 does).
 */
export interface Multiplexer {
  readonly nr: number;
  readonly calls: ReadonlyMap<string, number>;
}

export const I386_MULTIPLEXERS: readonly Multiplexer[] = [
  {
    nr: 102, // socketcall
    calls: new Map([
      ['socket', 1],
      ['bind', 2],
      ['connect', 3],
      ['listen', 4],
      ['accept', 5],
      ['getsockname', 6],
      ['getpeername', 7],
      ['socketpair', 8],
      ['send', 9],
      ['recv', 10],
      ['sendto', 11],
      ['recvfrom', 12],
      ['shutdown', 13],
      ['setsockopt', 14],
      ['getsockopt', 15],
      ['sendmsg', 16],
      ['recvmsg', 17],
      ['accept4', 18],
      ['recvmmsg', 19],
      ['sendmmsg', 20],
    ]),
  },
  {
    nr: 117, // ipc
    calls: new Map([
      ['semop', 1],
      ['semget', 2],
      ['semctl', 3],
      ['semtimedop', 4],
      ['msgsnd', 11],
      ['msgrcv', 12],
      ['msgget', 13],
      ['msgctl', 14],
      ['shmat', 21],
      ['shmdt', 22],
      ['shmget', 23],
      ['shmctl', 24],
    ]),
  },
];
