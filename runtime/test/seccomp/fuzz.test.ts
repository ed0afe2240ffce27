// Seeded fuzz: random rule sets compiled to BPF and run in the interpreter
// must return what the naive reference evaluator derives from the OCI rules.
import type { RuntimeTypes } from '@berth/spec';
import { ARCHES, AUDIT_ARCH, X32_SYSCALL_BIT, compileSeccomp, decodeProgram, evaluate, evaluatePolicy } from '../../src/seccomp';

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACTIONS: RuntimeTypes.SeccompAction[] = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
];
const OPS: RuntimeTypes.SeccompOperators[] = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const ARCH_NAMES: RuntimeTypes.SeccompArch[] = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'];
// A small pool so that rules collide; some names exist on one ABI only, one on none.
const NAMES = ['read', 'close', 'stat', 'fstat', 'lstat', 'poll', 'lseek', 'getpid', 'ioctl', 'socket', 'clone', 'mmap2', 'socketcall', 'arch_prctl', 'open', 'openat', 'set_tls', 'not_a_syscall', 'clone3', 'mount', 'connect', 'send', 'shmget', 'semop', 'ipc'];
// Values around the 32-bit word boundaries (all exact as JSON numbers).
const VALUES = [0, 1, 2, 7, 0xff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 2 ** 32, 2 ** 32 + 1, 2 ** 33 + 5, 2 ** 52, 2 ** 53 - 1, 2 ** 63];

describe('seccomp fuzz: compiled BPF vs reference evaluator', () => {
  test('600 random profiles x 40 random syscalls agree (seed 20261128)', () => {
    const rnd = prng(20261128);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const int = (n: number): number => Math.floor(rnd() * n);
    const randomArg = (): bigint => {
      const v = BigInt(pick(VALUES));
      switch (int(5)) {
        case 0:
          return v;
        case 1:
          return BigInt.asUintN(64, v + 1n);
        case 2:
          return BigInt.asUintN(64, v - 1n);
        case 3: // mix the words of two interesting values
          return (BigInt(pick(VALUES)) << 32n) | (v & 0xffffffffn);
        default:
          return BigInt.asUintN(64, BigInt(int(2 ** 31)) * BigInt(int(2 ** 31)) * BigInt(int(8) + 1));
      }
    };
    let cases = 0;
    const outcomes = new Set<number>();
    for (let p = 0; p < 600; p++) {
      const defaultAction = pick(ACTIONS.filter((a) => a !== 'SCMP_ACT_NOTIFY'));
      const profile: RuntimeTypes.Seccomp = { defaultAction, listenerPath: '/run/listener.sock', syscalls: [] };
      if (defaultAction === 'SCMP_ACT_ERRNO' && rnd() < 0.5) profile.defaultErrnoRet = pick([1, 13, 38]);
      if (rnd() < 0.8) profile.architectures = ARCH_NAMES.filter(() => rnd() < 0.5);
      const nEntries = int(25);
      for (let e = 0; e < nEntries; e++) {
        const action = pick(ACTIONS);
        const names = NAMES.filter(() => rnd() < 0.15);
        if (names.length === 0) names.push(pick(NAMES));
        const entry: RuntimeTypes.Syscall = { names: names as [string, ...string[]], action };
        if ((action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE') && rnd() < 0.6) entry.errnoRet = pick([0, 1, 5, 38, 4095]);
        const nArgs = rnd() < 0.35 ? 0 : int(4);
        if (nArgs > 0) {
          entry.args = [];
          for (let a = 0; a < nArgs; a++) {
            const op = pick(OPS);
            entry.args.push({ index: int(4), op, value: pick(VALUES), ...(op === 'SCMP_CMP_MASKED_EQ' ? { valueTwo: pick(VALUES) } : {}) });
          }
        }
        profile.syscalls?.push(entry);
      }
      const insns = decodeProgram(compileSeccomp(profile, { nativeArch: 'x64' }).program);
      for (let c = 0; c < 40; c++) {
        const arch = pick([AUDIT_ARCH.X86_64, AUDIT_ARCH.X86_64, AUDIT_ARCH.I386, AUDIT_ARCH.AARCH64, AUDIT_ARCH.ARM, 0x12345678]);
        const abi = arch === AUDIT_ARCH.I386 ? 'i386' : arch === AUDIT_ARCH.AARCH64 ? 'aarch64' : arch === AUDIT_ARCH.ARM ? 'arm' : 'x86_64';
        let nr = ARCHES[abi].table.get(pick(NAMES)) ?? int(1024);
        if (rnd() < 0.1) nr = int(1200);
        if (arch === AUDIT_ARCH.X86_64 && rnd() < 0.25) nr = (ARCHES.x32.table.get(pick(NAMES)) ?? (nr | X32_SYSCALL_BIT)) >>> 0;
        if (arch === AUDIT_ARCH.X86_64 && rnd() < 0.03) nr = 0xffffffff; // a tracer skipping the call
        if (arch === AUDIT_ARCH.I386 && rnd() < 0.2) nr = pick([102, 117]); // socketcall(2), ipc(2)
        const data = { nr, arch, args: [randomArg(), randomArg(), randomArg(), randomArg(), randomArg(), randomArg()] };
        if ((nr === 102 || nr === 117) && rnd() < 0.7) data.args[0] = BigInt(pick([1, 3, 9, 23]));
        const got = evaluate(insns, data);
        const want = evaluatePolicy(profile, data, 'x64');
        if (got !== want) {
          throw new Error(`profile ${p} case ${c}: BPF ${got.toString(16)} != reference ${want.toString(16)}\n${JSON.stringify(profile)}\n${JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
        }
        outcomes.add(got);
        cases++;
      }
    }
    expect(cases).toBe(24000);
    // The generator reaches every kind of outcome, so agreement means something.
    expect(outcomes.size).toBeGreaterThan(12);
  });
});
