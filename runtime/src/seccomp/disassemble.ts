// Human-readable listing of a filter (for --debug logs and test failures).
import { decode, type Instruction } from './bpf';
import { BPF, SECCOMP_RET, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_DATA } from './constants';

const RET_NAMES = new Map<number, string>(Object.entries(SECCOMP_RET).map(([k, v]) => [v >>> 0, k]));

function ret(k: number): string {
  const action = (k & SECCOMP_RET_ACTION_FULL) >>> 0;
  const name = RET_NAMES.get(action) ?? `0x${action.toString(16)}`;
  const data = k & SECCOMP_RET_DATA;
  return data ? `${name}(${data})` : name;
}

/** One line per instruction: `0012: jeq #0x27 jt 0013 jf 0015`. */
export function disassemble(program: Buffer | readonly Instruction[]): string {
  const insns = Buffer.isBuffer(program) ? decode(program) : program;
  const pc = (n: number): string => String(n).padStart(4, '0');
  const ops: Record<number, string> = { [BPF.JEQ]: 'jeq', [BPF.JGT]: 'jgt', [BPF.JGE]: 'jge', [BPF.JSET]: 'jset' };
  return insns
    .map((ins, i) => {
      const hex = `#0x${ins.k.toString(16)}`;
      let text: string;
      if (ins.code === (BPF.LD | BPF.W | BPF.ABS)) text = `ld [${ins.k}]`;
      else if (ins.code === (BPF.ALU | BPF.AND | BPF.K)) text = `and ${hex}`;
      else if (ins.code === (BPF.RET | BPF.K)) text = `ret ${ret(ins.k)}`;
      else if (ins.code === (BPF.JMP | BPF.JA)) text = `ja ${pc(i + 1 + ins.k)}`;
      else if ((ins.code & 0x07) === BPF.JMP && ops[ins.code & 0xf0] && (ins.code & BPF.X) === 0) {
        text = `${ops[ins.code & 0xf0]} ${hex} jt ${pc(i + 1 + ins.jt)} jf ${pc(i + 1 + ins.jf)}`;
      } else text = `.code 0x${ins.code.toString(16)} jt ${ins.jt} jf ${ins.jf} k ${hex}`;
      return `${pc(i)}: ${text}`;
    })
    .join('\n');
}
