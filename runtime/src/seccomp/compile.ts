// Compiles an OCI seccomp section to a classic-BPF seccomp filter without
// libseccomp. Layout:
//   ld arch; jeq AUDIT_ARCH_* -> section ...; ret <bad arch>
//   section: ld nr; [x86_64: jset X32 bit -> x32 part]; [jgt last -> ret ENOSYS]
//            binary search on nr -> per syscall: rules, each a run of argument
//            checks ending in `ret action`; -> ret default
import { endianness } from 'node:os';
import type { RuntimeTypes } from '@berth/spec';
import { ARCHES, type ArchName } from './arch';
import { Assembler, encode, type Label } from './bpf';
import { BPF_MAXINSNS, ENOSYS, SECCOMP_DATA, SECCOMP_RET, X32_SYSCALL_BIT } from './constants';
import { SeccompTooLargeError } from './errors';
import { resolvePolicy, type Condition, type ResolvedPolicy, type Rule } from './policy';

export interface CompileOptions {
  /** The architecture the filter runs on (Node's `process.arch` names or `x86_64`/`aarch64`); default: this host. */
  nativeArch?: string;
}

export interface CompiledSeccomp {
  /** struct sock_filter[] in host byte order, 8 bytes per instruction. */
  program: Buffer;
  /** SECCOMP_FILTER_FLAG_* for seccomp(2); NEW_LISTENER when a rule uses SCMP_ACT_NOTIFY. */
  flags: number;
  /** Where the init sends the listener fd and the state (SCMP_ACT_NOTIFY). */
  listenerPath?: string;
  /** Syscall names no table knows; skipped, as runc skips names libseccomp does not know. */
  unknownNames: readonly string[];
}

/** Segments per leaf of the binary search (libseccomp uses 4 syscalls; 2-3 instructions each). */
const LEAF = 8;

/** Consecutive syscall numbers [lo, hi] with the same rules. */
interface Segment {
  readonly lo: number;
  readonly hi: number;
  readonly rules: readonly Rule[];
}

/**
 * Sorted segments; runs of consecutive numbers decided by the same unconditional
 * action are merged (Docker's allow list becomes a few dozen ranges).
 */
function segments(rules: ReadonlyMap<number, readonly Rule[]>): Segment[] {
  const out: Array<{ lo: number; hi: number; rules: readonly Rule[]; always?: number }> = [];
  for (const [nr, list] of [...rules].sort((a, b) => a[0] - b[0])) {
    const always = list.find((r) => r.conditions.length === 0)?.action;
    const last = out[out.length - 1];
    if (last && always !== undefined && last.always === always && last.hi + 1 === nr) last.hi = nr;
    else out.push({ lo: nr, hi: nr, rules: list, ...(always !== undefined ? { always } : {}) });
  }
  return out;
}

export function compileSeccomp(seccomp: RuntimeTypes.Seccomp, options: CompileOptions = {}): CompiledSeccomp {
  const policy = resolvePolicy(seccomp, options.nativeArch ?? process.arch);
  const asm = new Assembler();
  new Emitter(asm, policy).program();
  const instructions = asm.assemble();
  if (instructions.length > BPF_MAXINSNS) throw new SeccompTooLargeError(instructions.length, BPF_MAXINSNS);
  return {
    program: encode(instructions),
    flags: policy.flags,
    ...(policy.listenerPath !== undefined ? { listenerPath: policy.listenerPath } : {}),
    unknownNames: policy.unknownNames,
  };
}

class Emitter {
  private readonly littleEndian = endianness() === 'LE';

  constructor(
    private readonly asm: Assembler,
    private readonly policy: ResolvedPolicy,
  ) {}

  program(): void {
    const { asm, policy } = this;
    // x86_64 and x32 share AUDIT_ARCH_X86_64: one section for both.
    const sections = new Map<number, ArchName[]>();
    for (const abi of policy.abis) {
      const audit = ARCHES[abi].audit;
      sections.set(audit, [...(sections.get(audit) ?? []), abi]);
    }
    asm.load(SECCOMP_DATA.ARCH);
    const entries = [...sections].map(([audit, abis]) => ({ audit, abis, label: asm.label() }));
    for (const s of entries) {
      const next = asm.label();
      asm.jump('jeq', s.audit, s.label, next);
      asm.bind(next);
    }
    asm.ret(policy.badArchAction);
    for (const s of entries) {
      asm.bind(s.label);
      asm.load(SECCOMP_DATA.NR);
      if (s.abis.includes('x86_64') || s.abis.includes('x32')) this.x86Section(s.abis);
      else this.abi(s.abis[0]);
    }
  }

  /** x86_64 and x32 calls differ only by the X32 bit; a missing one gets the bad-arch action. */
  private x86Section(abis: readonly ArchName[]): void {
    const { asm } = this;
    const l64 = asm.label();
    const l32 = asm.label();
    const bad = asm.label();
    const has64 = abis.includes('x86_64');
    const has32 = abis.includes('x32');
    // nr -1 (a tracer skipping the call) is no x32 call to libseccomp, but it
    // has the X32 bit for runc's stub: x86_64 rules, no ENOSYS stub.
    const skipped = has64 && !has32 ? asm.label() : undefined;
    if (skipped !== undefined) {
      const other = asm.label();
      asm.jump('jeq', 0xffffffff, skipped, other);
      asm.bind(other);
    }
    asm.jump('jset', X32_SYSCALL_BIT, has32 ? l32 : bad, has64 ? l64 : bad);
    if (has64) {
      asm.bind(l64);
      this.abi('x86_64', skipped);
    }
    if (has32) {
      asm.bind(l32);
      this.abi('x32');
    }
    if (!has64 || !has32) {
      asm.bind(bad);
      asm.ret(this.policy.badArchAction);
    }
  }

  /** Code for one ABI; A holds the syscall number. `afterStub` is bound past runc's ENOSYS stub. */
  private abi(abi: ArchName, afterStub?: Label): void {
    const { asm, policy } = this;
    const last = policy.enosysAbove.get(abi);
    if (last !== undefined) {
      const enosys = asm.label();
      const known = asm.label();
      asm.jump('jgt', last, enosys, known);
      asm.bind(enosys);
      asm.ret(SECCOMP_RET.ERRNO | ENOSYS);
      asm.bind(known);
    }
    if (afterStub !== undefined) asm.bind(afterStub);
    const rules = policy.rules.get(abi) ?? new Map<number, readonly Rule[]>();
    this.tree(segments(rules), ARCHES[abi].bits);
  }

  /** Binary search on the syscall number (A), linear in the leaves. */
  private tree(segs: readonly Segment[], bits: 32 | 64): void {
    const { asm } = this;
    if (segs.length <= LEAF) {
      const otherwise = asm.label();
      for (const s of segs) {
        const body = asm.label();
        const next = asm.label();
        if (s.lo === s.hi) {
          asm.jump('jeq', s.lo, body, next);
        } else {
          // Earlier segments did not match and later ones start higher: below lo is the default.
          const inRange = asm.label();
          asm.jump('jgt', s.hi, next, inRange);
          asm.bind(inRange);
          asm.jump('jge', s.lo, body, otherwise);
        }
        asm.bind(body);
        this.rules(s.rules, bits);
        asm.bind(next);
      }
      asm.bind(otherwise);
      asm.ret(this.policy.defaultAction);
      return;
    }
    const mid = segs.length >> 1;
    const left = asm.label();
    const right = asm.label();
    asm.jump('jge', segs[mid].lo, right, left);
    asm.bind(left);
    this.tree(segs.slice(0, mid), bits);
    asm.bind(right);
    this.tree(segs.slice(mid), bits);
  }

  /**
   * One syscall's rules (already in libseccomp's order). An unconditional rule
   * decides alone (libseccomp keeps the least specific rule); otherwise the
   * first rule whose conditions all hold. Every path ends in a return, so A may
   * be clobbered.
   */
  private rules(rules: readonly Rule[], bits: 32 | 64): void {
    const { asm } = this;
    const always = rules.find((r) => r.conditions.length === 0);
    if (always) {
      asm.ret(always.action);
      return;
    }
    for (const rule of rules) {
      const fail = asm.label();
      for (const c of rule.conditions) {
        const pass = asm.label();
        this.condition(c, bits, pass, fail);
        asm.bind(pass);
      }
      asm.ret(rule.action);
      asm.bind(fail);
    }
    asm.ret(this.policy.defaultAction);
  }

  /** 64-bit comparisons on 32-bit words: high word first, low word when the high words are equal. */
  private condition(c: Condition, bits: 32 | 64, pass: Label, fail: Label): void {
    const { asm } = this;
    const base = SECCOMP_DATA.ARGS + 8 * c.index;
    const loOff = this.littleEndian ? base : base + 4;
    const hiOff = this.littleEndian ? base + 4 : base;
    const lo = (v: bigint): number => Number(v & 0xffffffffn);
    const hi = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);
    const vlo = lo(c.value);
    const vhi = hi(c.value);
    const wide = bits === 64;
    // High word above -> onGt, below -> onLt, equal -> falls through to the low-word test.
    const hiTest = (onGt: Label, onLt: Label): void => {
      const notGt = asm.label();
      const eq = asm.label();
      asm.load(hiOff);
      asm.jump('jgt', vhi, onGt, notGt);
      asm.bind(notGt);
      asm.jump('jeq', vhi, eq, onLt);
      asm.bind(eq);
    };
    switch (c.op) {
      case 'SCMP_CMP_EQ':
      case 'SCMP_CMP_NE': {
        const [t, f] = c.op === 'SCMP_CMP_EQ' ? [pass, fail] : [fail, pass];
        if (wide) {
          const eq = asm.label();
          asm.load(hiOff);
          asm.jump('jeq', vhi, eq, f);
          asm.bind(eq);
        }
        asm.load(loOff);
        asm.jump('jeq', vlo, t, f);
        return;
      }
      case 'SCMP_CMP_GT':
      case 'SCMP_CMP_GE':
        if (wide) hiTest(pass, fail);
        asm.load(loOff);
        asm.jump(c.op === 'SCMP_CMP_GT' ? 'jgt' : 'jge', vlo, pass, fail);
        return;
      case 'SCMP_CMP_LT':
      case 'SCMP_CMP_LE':
        if (wide) hiTest(fail, pass);
        asm.load(loOff);
        // a < v  <=>  !(a >= v);  a <= v  <=>  !(a > v)
        asm.jump(c.op === 'SCMP_CMP_LT' ? 'jge' : 'jgt', vlo, fail, pass);
        return;
      case 'SCMP_CMP_MASKED_EQ': {
        if (wide) {
          const eq = asm.label();
          asm.load(hiOff);
          asm.and(hi(c.value));
          asm.jump('jeq', hi(c.valueTwo), eq, fail);
          asm.bind(eq);
        }
        asm.load(loOff);
        asm.and(vlo);
        asm.jump('jeq', lo(c.valueTwo), pass, fail);
        return;
      }
    }
  }
}
