// A classic-BPF interpreter over struct seccomp_data, for tests and for
// checking a compiled program without loading it into the kernel. It runs the
// instructions the kernel's seccomp checker accepts and fails loudly otherwise.
import { endianness } from 'node:os';
import { decode, type Instruction } from './bpf';
import { BPF, SECCOMP_DATA } from './constants';

export interface SeccompData {
  nr: number;
  /** AUDIT_ARCH_* */
  arch: number;
  ip?: bigint;
  /** Up to six unsigned 64-bit arguments; missing ones are 0. */
  args?: readonly bigint[];
}

/** struct seccomp_data in host byte order. */
export function seccompData(d: SeccompData): Buffer {
  const buf = Buffer.alloc(SECCOMP_DATA.SIZE);
  const le = endianness() === 'LE';
  const u32 = (v: number, o: number): void => {
    if (le) buf.writeUInt32LE(v >>> 0, o);
    else buf.writeUInt32BE(v >>> 0, o);
  };
  const u64 = (v: bigint, o: number): void => {
    if (le) buf.writeBigUInt64LE(BigInt.asUintN(64, v), o);
    else buf.writeBigUInt64BE(BigInt.asUintN(64, v), o);
  };
  u32(d.nr, SECCOMP_DATA.NR);
  u32(d.arch, SECCOMP_DATA.ARCH);
  u64(d.ip ?? 0n, SECCOMP_DATA.IP);
  for (let i = 0; i < 6; i++) u64(d.args?.[i] ?? 0n, SECCOMP_DATA.ARGS + 8 * i);
  return buf;
}

/** Runs `program` (bytes or decoded instructions) on `data` and returns the filter's 32-bit result. */
export function evaluate(program: Buffer | readonly Instruction[], data: SeccompData): number {
  const insns = Buffer.isBuffer(program) ? decode(program) : program;
  const mem = seccompData(data);
  const le = endianness() === 'LE';
  const scratch = new Uint32Array(16);
  let a = 0;
  let x = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, jt, jf, k } = insns[pc];
    const cls = code & 0x07;
    const src = code & 0x08 ? x : k;
    switch (cls) {
      case BPF.LD:
      case BPF.LDX: {
        const mode = code & 0xe0;
        let v: number;
        if (mode === BPF.ABS) {
          if ((code & 0x18) !== BPF.W || k % 4 !== 0 || k + 4 > SECCOMP_DATA.SIZE) {
            throw new Error(`BPF: bad load at ${pc} (offset ${k})`);
          }
          v = le ? mem.readUInt32LE(k) : mem.readUInt32BE(k);
        } else if (mode === BPF.IMM) v = k;
        else if (mode === BPF.MEM) v = scratch[k & 15];
        else if (mode === BPF.LEN) v = SECCOMP_DATA.SIZE;
        else throw new Error(`BPF: unsupported load mode at ${pc}`);
        if (cls === BPF.LD) a = v >>> 0;
        else x = v >>> 0;
        break;
      }
      case BPF.ST:
        scratch[k & 15] = a;
        break;
      case BPF.STX:
        scratch[k & 15] = x;
        break;
      case BPF.ALU:
        a = alu(code & 0xf0, a, src >>> 0, pc);
        break;
      case BPF.JMP: {
        const op = code & 0xf0;
        if (op === BPF.JA) {
          pc += k;
          break;
        }
        const s = src >>> 0;
        const cond =
          op === BPF.JEQ ? a === s : op === BPF.JGT ? a > s : op === BPF.JGE ? a >= s : op === BPF.JSET ? (a & s) !== 0 : undefined;
        if (cond === undefined) throw new Error(`BPF: unsupported jump at ${pc}`);
        pc += cond ? jt : jf;
        break;
      }
      case BPF.RET:
        return ((code & 0x18) === BPF.A ? a : k) >>> 0;
      case BPF.MISC:
        if ((code & 0xf8) === BPF.TXA) a = x;
        else x = a;
        break;
    }
  }
  throw new Error('BPF: program ran off its end without returning');
}

function alu(op: number, a: number, v: number, pc: number): number {
  switch (op) {
    case BPF.ADD:
      return (a + v) >>> 0;
    case BPF.SUB:
      return (a - v) >>> 0;
    case BPF.MUL:
      return Math.imul(a, v) >>> 0;
    case BPF.DIV:
      if (v === 0) return 0;
      return Math.floor(a / v) >>> 0;
    case BPF.MOD:
      if (v === 0) return 0;
      return a % v >>> 0;
    case BPF.OR:
      return (a | v) >>> 0;
    case BPF.AND:
      return (a & v) >>> 0;
    case BPF.XOR:
      return (a ^ v) >>> 0;
    case BPF.LSH:
      return v >= 32 ? 0 : (a << v) >>> 0;
    case BPF.RSH:
      return v >= 32 ? 0 : a >>> v;
    case BPF.NEG:
      return -a >>> 0;
    default:
      throw new Error(`BPF: unsupported ALU operation at ${pc}`);
  }
}
