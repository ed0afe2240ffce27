// A small classic-BPF assembler: code is built with symbolic labels (forward
// only, as BPF requires) and assembled with conditional jumps widened where a
// target is more than 255 instructions away (jt/jf are 8-bit; `ja` is 32-bit).
import { endianness } from 'node:os';
import { BPF } from './constants';

export type Label = number & { readonly __label: unique symbol };

export type JumpOp = 'jeq' | 'jgt' | 'jge' | 'jset';

type Item =
  | { readonly kind: 'stmt'; readonly code: number; readonly k: number }
  | { readonly kind: 'jump'; readonly op: JumpOp; readonly k: number; readonly jt: Label; readonly jf: Label }
  | { readonly kind: 'ja'; readonly target: Label }
  | { readonly kind: 'label'; readonly label: Label };

export interface Instruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

const JUMP_CODE: Readonly<Record<JumpOp, number>> = {
  jeq: BPF.JMP | BPF.JEQ | BPF.K,
  jgt: BPF.JMP | BPF.JGT | BPF.K,
  jge: BPF.JMP | BPF.JGE | BPF.K,
  jset: BPF.JMP | BPF.JSET | BPF.K,
};

export class Assembler {
  private readonly items: Item[] = [];
  private nextLabel = 0;

  label(): Label {
    return this.nextLabel++ as Label;
  }

  /** Places `label` at the current position. */
  bind(label: Label): void {
    this.items.push({ kind: 'label', label });
  }

  /** A = 32-bit word at `offset` of seccomp_data. */
  load(offset: number): void {
    this.items.push({ kind: 'stmt', code: BPF.LD | BPF.W | BPF.ABS, k: offset });
  }

  /** A &= k */
  and(k: number): void {
    this.items.push({ kind: 'stmt', code: BPF.ALU | BPF.AND | BPF.K, k: k >>> 0 });
  }

  ret(k: number): void {
    this.items.push({ kind: 'stmt', code: BPF.RET | BPF.K, k: k >>> 0 });
  }

  jump(op: JumpOp, k: number, jt: Label, jf: Label): void {
    this.items.push({ kind: 'jump', op, k: k >>> 0, jt, jf });
  }

  ja(target: Label): void {
    this.items.push({ kind: 'ja', target });
  }

  /** Resolves labels, widening far conditional jumps, and returns the instructions. */
  assemble(): Instruction[] {
    const items = this.items;
    // Size of each item in instructions; jumps only ever grow, so this converges.
    const size: number[] = items.map((it) => (it.kind === 'label' ? 0 : 1));
    const at = new Array<number>(this.nextLabel).fill(-1);
    const place = (): void => {
      let pc = 0;
      items.forEach((it, i) => {
        if (it.kind === 'label') at[it.label] = pc;
        pc += size[i];
      });
    };
    for (;;) {
      place();
      let changed = false;
      let pc = 0;
      items.forEach((it, i) => {
        if (it.kind === 'jump') {
          // Offsets as if this jump were one instruction (targets lie after it).
          const shift = size[i] - 1;
          const need = jumpSize(at[it.jt] - shift - (pc + 1), at[it.jf] - shift - (pc + 1));
          if (need > size[i]) {
            size[i] = need;
            changed = true;
          }
        }
        pc += size[i];
      });
      if (!changed) break;
    }
    const out: Instruction[] = [];
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      const pc = out.length;
      if (it.kind === 'label') continue;
      if (it.kind === 'stmt') {
        out.push({ code: it.code, jt: 0, jf: 0, k: it.k });
      } else if (it.kind === 'ja') {
        out.push({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: forward(at[it.target] - (pc + 1)) });
      } else {
        const code = JUMP_CODE[it.op];
        const t = at[it.jt];
        const f = at[it.jf];
        const s = size[i];
        // Laid out as: jcond; [ja t]; [ja f], in the size found above.
        if (s === 1) {
          out.push({ code, jt: u8(t - (pc + 1)), jf: u8(f - (pc + 1)), k: it.k });
        } else if (s === 2 && t - (pc + 1) <= 255) {
          // true is near (past the ja), false goes through the ja
          out.push({ code, jt: u8(t - (pc + 1)), jf: 0, k: it.k });
          out.push({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: forward(f - (pc + 2)) });
        } else if (s === 2) {
          out.push({ code, jt: 0, jf: u8(f - (pc + 1)), k: it.k });
          out.push({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: forward(t - (pc + 2)) });
        } else {
          out.push({ code, jt: 0, jf: 1, k: it.k });
          out.push({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: forward(t - (pc + 2)) });
          out.push({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: forward(f - (pc + 3)) });
        }
      }
    }
    return out;
  }
}

/** Instructions a conditional jump needs, given its offsets when encoded in one instruction. */
function jumpSize(dt: number, df: number): number {
  if (dt <= 255 && df <= 255) return 1;
  // With one ja after the jump, the near target is one further away.
  if (dt + 1 <= 255 || df + 1 <= 255) return 2;
  return 3;
}

function u8(offset: number): number {
  if (!(offset >= 0 && offset <= 255)) throw new Error(`BPF assembler: jump offset ${offset} does not fit in 8 bits`);
  return offset;
}

function forward(offset: number): number {
  if (!(offset >= 0)) throw new Error(`BPF assembler: backward or unbound jump (${offset})`);
  return offset;
}

/** struct sock_filter[] in host byte order: u16 code, u8 jt, u8 jf, u32 k. */
export function encode(program: readonly Instruction[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  const le = endianness() === 'LE';
  program.forEach((ins, i) => {
    const o = i * 8;
    if (le) buf.writeUInt16LE(ins.code, o);
    else buf.writeUInt16BE(ins.code, o);
    buf.writeUInt8(ins.jt, o + 2);
    buf.writeUInt8(ins.jf, o + 3);
    if (le) buf.writeUInt32LE(ins.k >>> 0, o + 4);
    else buf.writeUInt32BE(ins.k >>> 0, o + 4);
  });
  return buf;
}

export function decode(buf: Buffer): Instruction[] {
  const le = endianness() === 'LE';
  const out: Instruction[] = [];
  for (let o = 0; o + 8 <= buf.length; o += 8) {
    out.push({
      code: le ? buf.readUInt16LE(o) : buf.readUInt16BE(o),
      jt: buf.readUInt8(o + 2),
      jf: buf.readUInt8(o + 3),
      k: le ? buf.readUInt32LE(o + 4) : buf.readUInt32BE(o + 4),
    });
  }
  return out;
}
