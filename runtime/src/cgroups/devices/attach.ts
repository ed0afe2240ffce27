import * as fs from 'node:fs';
import { CgroupError } from '../errors';
import { BPF_CGROUP_DEVICE, BPF_PROG_TYPE_CGROUP_DEVICE, DeviceFilterAttacher, DeviceFilterProgram } from './ebpf';

export const BPF_F_ALLOW_MULTI = 2;
export const BPF_F_REPLACE = 4;

/**
 * The bpf(2) commands a device filter needs, as the native addon would
 * expose them (each throws with the errno on failure).
 */
export interface BpfSyscalls {
  /** BPF_PROG_LOAD; returns the program fd. Verifier errors should carry the log. */
  progLoad(progType: number, insns: Uint8Array, license: string): number;
  /** BPF_PROG_QUERY: ids of the programs attached to the cgroup fd for an attach type. */
  progQuery(targetFd: number, attachType: number): number[];
  /** BPF_PROG_GET_FD_BY_ID. */
  progGetFdById(id: number): number;
  /** BPF_PROG_ATTACH, with BPF_F_REPLACE's replace_bpf_fd when given. */
  progAttach(targetFd: number, progFd: number, attachType: number, flags: number, replaceFd?: number): void;
  /** BPF_PROG_DETACH. */
  progDetach(targetFd: number, progFd: number, attachType: number): void;
}

/**
 * Attaches a device filter the way runc does: load the new program, then
 * either replace the one program already attached (BPF_F_REPLACE) or attach
 * alongside (BPF_F_ALLOW_MULTI) and detach the old ones. In between the two
 * programs are both attached, and a device must pass both, so there is no
 * moment when the container has more access than either rule set grants.
 */
export class BpfDeviceFilterAttacher implements DeviceFilterAttacher {
  constructor(private readonly bpf: BpfSyscalls) {}

  attach(cgroupDir: string, program: DeviceFilterProgram): void {
    let cg: number;
    try {
      cg = fs.openSync(cgroupDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch (err) {
      throw new CgroupError(`cannot open cgroup ${cgroupDir}: ${(err as Error).message}`, { cause: err });
    }
    const old: number[] = [];
    let prog: number | undefined;
    try {
      for (const id of this.bpf.progQuery(cg, BPF_CGROUP_DEVICE)) old.push(this.bpf.progGetFdById(id));
      prog = this.bpf.progLoad(BPF_PROG_TYPE_CGROUP_DEVICE, program.bytes, program.license);
      if (old.length === 1) {
        this.bpf.progAttach(cg, prog, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI | BPF_F_REPLACE, old[0]);
      } else {
        this.bpf.progAttach(cg, prog, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI);
        for (const fd of old) this.bpf.progDetach(cg, fd, BPF_CGROUP_DEVICE);
      }
    } catch (err) {
      throw err instanceof CgroupError ? err : new CgroupError(`cannot attach the device filter to ${cgroupDir}: ${(err as Error).message}`, { cause: err });
    } finally {
      // The cgroup holds its own reference to an attached program.
      for (const fd of [...old, ...(prog === undefined ? [] : [prog]), cg]) fs.closeSync(fd);
    }
  }
}
