// The architectures berth compiles filters for: how an SCMP_ARCH_* name maps
// to the AUDIT_ARCH_* the kernel reports, its syscall table and its word size.
import { AUDIT_ARCH, X32_SYSCALL_BIT } from './constants';
import { AARCH64 } from './tables/aarch64';
import { ARM } from './tables/arm';
import { I386 } from './tables/i386';
import { X32 } from './tables/x32';
import { X86_64 } from './tables/x86_64';

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

export const ARCHES: Readonly<Record<ArchName, ArchInfo>> = {
  x86_64: { name: 'x86_64', scmp: 'SCMP_ARCH_X86_64', audit: AUDIT_ARCH.X86_64, table: X86_64, bits: 64 },
  i386: { name: 'i386', scmp: 'SCMP_ARCH_X86', audit: AUDIT_ARCH.I386, table: I386, bits: 32 },
  x32: { name: 'x32', scmp: 'SCMP_ARCH_X32', audit: AUDIT_ARCH.X86_64, table: X32, bits: 32 },
  aarch64: { name: 'aarch64', scmp: 'SCMP_ARCH_AARCH64', audit: AUDIT_ARCH.AARCH64, table: AARCH64, bits: 64 },
  arm: { name: 'arm', scmp: 'SCMP_ARCH_ARM', audit: AUDIT_ARCH.ARM, table: ARM, bits: 32 },
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
