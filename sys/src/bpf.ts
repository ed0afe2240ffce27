import { sys } from './native';

/** bpf(2) constants for cgroup device filters. */
export const BPF = {
  PROG_TYPE_CGROUP_DEVICE: 15,
  CGROUP_DEVICE: 6,
  F_ALLOW_OVERRIDE: 1,
  F_ALLOW_MULTI: 2,
  F_REPLACE: 4,
} as const;

/**
 * The bpf(2) calls a cgroup v2 device filter needs; each throws a SysError
 * (a verifier rejection names the start of its log in `path`).
 */
export const bpf = {
  /** BPF_PROG_LOAD of `insns` (struct bpf_insn[], host byte order); returns the program fd. */
  progLoad(progType: number, insns: Uint8Array, license: string): number {
    return sys((n) => n.bpfProgLoad(progType, Buffer.from(insns.buffer, insns.byteOffset, insns.byteLength), license));
  },
  /** BPF_PROG_QUERY: ids of the programs attached to the cgroup fd (at most 64). */
  progQuery(targetFd: number, attachType: number): number[] {
    return sys((n) => n.bpfProgQuery(targetFd, attachType));
  },
  progGetFdById(id: number): number {
    return sys((n) => n.bpfProgGetFdById(id));
  },
  /** BPF_PROG_ATTACH; with replaceFd, pass BPF.F_REPLACE in flags. */
  progAttach(targetFd: number, progFd: number, attachType: number, flags: number, replaceFd?: number): void {
    sys((n) => n.bpfProgAttach(targetFd, progFd, attachType, flags, replaceFd));
  },
  progDetach(targetFd: number, progFd: number, attachType: number): void {
    sys((n) => n.bpfProgDetach(targetFd, progFd, attachType));
  },
};
