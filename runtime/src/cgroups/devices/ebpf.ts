import { CgroupError } from '../errors';
import { DeviceEmulator } from './emulator';
import { DeviceRule, WILDCARD } from './rules';

/**
 * The cgroup v2 device controller is an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup. This generates it the
 * way runc's devicefilter does: the rules go through the v1 emulator first
 * (so v1 and v2 agree), then each exception becomes a block that returns the
 * exception's verdict when type, access, major and minor match, and the
 * program falls through to the default.
 *
 * The context (struct bpf_cgroup_dev_ctx) is three u32s: access_type
 * ((access << 16) | type), major, minor.
 */

// Instruction classes and fields (linux/bpf.h, linux/bpf_common.h).
const BPF_LDX = 0x01;
const BPF_ALU = 0x04;
const BPF_JMP = 0x05;
const BPF_W = 0x00;
const BPF_MEM = 0x60;
const BPF_K = 0x00;
const BPF_X = 0x08;
const BPF_AND = 0x50;
const BPF_RSH = 0x70;
const BPF_MOV = 0xb0;
const BPF_JNE = 0x50;
const BPF_EXIT = 0x90;

export const OP = {
  LDXW: BPF_LDX | BPF_MEM | BPF_W,
  AND32_K: BPF_ALU | BPF_AND | BPF_K,
  RSH32_K: BPF_ALU | BPF_RSH | BPF_K,
  MOV32_K: BPF_ALU | BPF_MOV | BPF_K,
  MOV32_X: BPF_ALU | BPF_MOV | BPF_X,
  JNE_K: BPF_JMP | BPF_JNE | BPF_K,
  JNE_X: BPF_JMP | BPF_JNE | BPF_X,
  EXIT: BPF_JMP | BPF_EXIT,
} as const;

export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
export const BPF_CGROUP_DEVICE = 6;

export interface Insn {
  readonly op: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
}

export interface DeviceFilterProgram {
  readonly insns: readonly Insn[];
  /** The encoded program: 8 bytes per instruction, little-endian (x86_64, aarch64). */
  readonly bytes: Uint8Array;
  /** runc loads it with this license. */
  readonly license: 'Apache';
}

const ins = (op: number, dst: number, src: number, off: number, imm: number): Insn => ({ op, dst, src, off, imm });

/** Builds the device filter for a rule list (in config order, as for v1). */
export function deviceFilter(rules: readonly DeviceRule[]): DeviceFilterProgram {
  const emu = DeviceEmulator.fromRules(rules);
  const clean = emu.rules();
  const defaultAllow = emu.isBlacklist;
  // Blocks are emitted with symbolic "next block" targets, resolved at the end.
  const insns: (Insn & { next?: boolean })[] = [
    ins(OP.LDXW, 2, 1, 0, 0), // r2 = ctx->access_type
    ins(OP.AND32_K, 2, 0, 0, 0xffff), // r2 &= 0xffff: the device type
    ins(OP.LDXW, 3, 1, 0, 0), // r3 = ctx->access_type
    ins(OP.RSH32_K, 3, 0, 0, 16), // r3 >>= 16: the access
    ins(OP.LDXW, 4, 1, 4, 0), // r4 = ctx->major
    ins(OP.LDXW, 5, 1, 8, 0), // r5 = ctx->minor
  ];
  const blockStarts: number[] = [];
  const jumps: { at: number; block: number }[] = [];
  clean.forEach((rule, idx) => {
    if (rule.type === 'a') {
      if (idx !== 0 || rule.allow !== defaultAllow) throw new CgroupError('internal error: wildcard device rule out of place');
      return;
    }
    if (rule.allow === defaultAllow) throw new CgroupError('internal error: device exception equal to the default');
    const block = blockStarts.length;
    blockStarts.push(insns.length);
    const jne = (i: Insn) => {
      jumps.push({ at: insns.length, block: block + 1 });
      insns.push(i);
    };
    jne(ins(OP.JNE_K, 2, 0, 0, rule.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
    const access = accessBits(rule.access);
    if (access !== (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
      // The request must ask for nothing outside the rule's access: (r3 & access) == r3.
      insns.push(ins(OP.MOV32_X, 1, 3, 0, 0));
      insns.push(ins(OP.AND32_K, 1, 0, 0, access));
      jne(ins(OP.JNE_X, 1, 3, 0, 0));
    }
    if (rule.major !== WILDCARD) jne(ins(OP.JNE_K, 4, 0, 0, rule.major | 0));
    if (rule.minor !== WILDCARD) jne(ins(OP.JNE_K, 5, 0, 0, rule.minor | 0));
    insns.push(ins(OP.MOV32_K, 0, 0, 0, rule.allow ? 1 : 0));
    insns.push(ins(OP.EXIT, 0, 0, 0, 0));
  });
  blockStarts.push(insns.length); // the default block
  insns.push(ins(OP.MOV32_K, 0, 0, 0, defaultAllow ? 1 : 0));
  insns.push(ins(OP.EXIT, 0, 0, 0, 0));
  const resolved = insns.map((i, at) => {
    const j = jumps.find((x) => x.at === at);
    return j === undefined ? i : { ...i, off: (blockStarts[j.block] as number) - at - 1 };
  });
  return { insns: resolved, bytes: encode(resolved), license: 'Apache' };
}

function accessBits(access: string): number {
  let bits = 0;
  if (access.includes('r')) bits |= BPF_DEVCG_ACC_READ;
  if (access.includes('w')) bits |= BPF_DEVCG_ACC_WRITE;
  if (access.includes('m')) bits |= BPF_DEVCG_ACC_MKNOD;
  return bits;
}

/** struct bpf_insn: u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm (little-endian bitfields). */
export function encode(insns: readonly Insn[]): Uint8Array {
  const buf = new Uint8Array(insns.length * 8);
  const view = new DataView(buf.buffer);
  insns.forEach((i, n) => {
    view.setUint8(n * 8, i.op);
    view.setUint8(n * 8 + 1, (i.dst & 0xf) | ((i.src & 0xf) << 4));
    view.setInt16(n * 8 + 2, i.off, true);
    view.setInt32(n * 8 + 4, i.imm, true);
  });
  return buf;
}

/**
 * Attaches a BPF_PROG_TYPE_CGROUP_DEVICE program to a cgroup v2 directory,
 * replacing the programs attached before (BPF_F_ALLOW_MULTI, then detach the
 * old ones, as runc does). Implemented over bpf(2) by the native addon.
 */
export interface DeviceFilterAttacher {
  attach(cgroupDir: string, program: DeviceFilterProgram): void;
}
