// Profiles and syscall cases for the real-kernel tests: each case is a probe
// argument ("NR,ARG,..."), chosen so that without a filter it fails the same
// way on any host and inside any container (bad fds, bad pointers, bad
// `which`), and with the filter the profile's answer shows instead.
import fs from 'node:fs';
import path from 'node:path';
import type { RuntimeTypes } from '@berth/spec';
import { ARCHES } from '../../src/seccomp';

export const dockerDefault = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures', 'docker-default.json'), 'utf8'),
) as RuntimeTypes.Seccomp;

/** A probe case for the x86_64 syscall `name` (x32: with the x32 number). */
export function sys(name: string, ...args: Array<number | bigint>): string {
  const nr = ARCHES.x86_64.table.get(name);
  if (nr === undefined) throw new Error(`no x86_64 syscall ${name}`);
  return [String(nr), ...args.map((a) => `0x${BigInt.asUintN(64, BigInt(a)).toString(16)}`)].join(',');
}

export function x32(name: string, ...args: Array<number | bigint>): string {
  const nr = ARCHES.x32.table.get(name);
  if (nr === undefined) throw new Error(`no x32 syscall ${name}`);
  return `x32:${[String(nr & 0x3fffffff), ...args.map((a) => `0x${BigInt.asUintN(64, BigInt(a)).toString(16)}`)].join(',')}`;
}

export function i386(name: string, ...args: number[]): string {
  const nr = ARCHES.i386.table.get(name);
  if (nr === undefined) throw new Error(`no i386 syscall ${name}`);
  return `i386:${[String(nr), ...args.map((a) => `0x${(a >>> 0).toString(16)}`)].join(',')}`;
}

/** What runc and the probe need to start and report (Docker's plain allow list). */
const BASELINE = [...(dockerDefault.syscalls?.[0]?.names ?? []), 'arch_prctl', 'clone'];

/** Default ERRNO(errno) profile allowing the baseline except `deny`. */
function strict(errno: number, deny: string[], rest: Partial<RuntimeTypes.Seccomp> = {}): RuntimeTypes.Seccomp {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: errno,
    ...rest,
    syscalls: [{ names: BASELINE.filter((n) => !deny.includes(n)) as [string, ...string[]], action: 'SCMP_ACT_ALLOW' }, ...(rest.syscalls ?? [])],
  };
}

const allow = (syscalls: RuntimeTypes.Syscall[], rest: Partial<RuntimeTypes.Seccomp> = {}): RuntimeTypes.Seccomp => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  ...rest,
  syscalls,
});

const arg = (index: number, op: RuntimeTypes.SeccompOperators, value: number, valueTwo?: number): RuntimeTypes.SyscallArg => ({
  index,
  op,
  value,
  ...(valueTwo !== undefined ? { valueTwo } : {}),
});

export interface ProfileCase {
  name: string;
  profile: RuntimeTypes.Seccomp;
  cases: string[];
  /** Cases using int $0x80, run only where the kernel has IA-32 emulation. */
  i386?: string[];
}

const BADFD = 999;
const BADWHICH = 99;

export const PROFILES: ProfileCase[] = [
  {
    name: 'docker default',
    profile: dockerDefault,
    cases: [
      sys('getpid'),
      sys('mount', 0, 0, 0, 0, 0),
      sys('umount2', 0, 0),
      sys('unshare', 0x10000000),
      sys('clone3', 0, 0),
      sys('clone', 0x10010000, 0, 0, 0, 0),
      sys('personality', 0xffffffff),
      sys('chroot', 0),
      sys('reboot', 0, 0, 0, 0),
      sys('keyctl', 0, 0, 0, 0, 0),
      sys('setns', BADFD, 0),
      sys('lseek', BADFD, 0, 0),
      '1000',
      x32('getpid'),
      x32('lseek', BADFD, 0, 0),
    ],
    i386: [i386('getpid'), i386('mount', 0, 0, 0, 0, 0), i386('socketcall', 1, 0)],
  },
  {
    name: 'errnoRet on one syscall',
    profile: allow([{ names: ['getpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 42 }]),
    cases: [sys('getpriority', BADWHICH, 0), sys('lseek', BADFD, 0, 0)],
  },
  {
    name: 'default ERRNO with defaultErrnoRet, no architectures (no ENOSYS stub)',
    profile: strict(13, ['lseek']),
    cases: [sys('lseek', BADFD, 0, 0), sys('mount', 0, 0, 0, 0, 0), sys('getpid'), '1000', x32('getpid')],
  },
  {
    name: 'default ERRNO with architectures (runc ENOSYS stub)',
    profile: strict(13, ['lseek'], { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }),
    cases: [sys('lseek', BADFD, 0, 0), sys('mount', 0, 0, 0, 0, 0), '1000', '460', x32('getpid'), x32('lseek', BADFD, 0, 0), '0xffffffff'],
  },
  {
    name: 'EQ',
    profile: allow([{ names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 5, args: [arg(2, 'SCMP_CMP_EQ', 3)] }]),
    cases: [sys('lseek', BADFD, 0, 3), sys('lseek', BADFD, 0, 0), sys('lseek', BADFD, 0, 0x100000003n)],
  },
  {
    name: 'NE',
    profile: allow([{ names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 6, args: [arg(2, 'SCMP_CMP_NE', 0)] }]),
    cases: [sys('lseek', BADFD, 0, 0), sys('lseek', BADFD, 0, 1), sys('lseek', BADFD, 0, 0x100000000n)],
  },
  {
    name: 'LT and LE on a 64-bit argument',
    profile: allow([
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 7, args: [arg(1, 'SCMP_CMP_LT', 0x100000000)] },
      { names: ['getpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 17, args: [arg(1, 'SCMP_CMP_LE', 0x200000005)] },
    ]),
    cases: [
      sys('lseek', BADFD, 5, 0),
      sys('lseek', BADFD, 0xffffffff, 0),
      sys('lseek', BADFD, 0x100000000n, 0),
      sys('lseek', BADFD, 0x100000001n, 0),
      sys('getpriority', BADWHICH, 0x200000005n),
      sys('getpriority', BADWHICH, 0x200000006n),
      sys('getpriority', BADWHICH, 0x300000000n),
      sys('getpriority', BADWHICH, 0xffffffff),
    ],
  },
  {
    name: 'GT and GE on a 64-bit argument',
    profile: allow([
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 8, args: [arg(1, 'SCMP_CMP_GT', 0x100000000)] },
      { names: ['getpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 18, args: [arg(1, 'SCMP_CMP_GE', 0x80000000)] },
    ]),
    cases: [
      sys('lseek', BADFD, 0x100000001n, 0),
      sys('lseek', BADFD, 0x100000000n, 0),
      sys('lseek', BADFD, 0x200000000n, 0),
      sys('lseek', BADFD, 5, 0),
      sys('getpriority', BADWHICH, 0x80000000),
      sys('getpriority', BADWHICH, 0x7fffffff),
      sys('getpriority', BADWHICH, 0x100000000n),
    ],
  },
  {
    name: 'MASKED_EQ on both words',
    profile: allow([
      { names: ['getpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 12, args: [arg(1, 'SCMP_CMP_MASKED_EQ', 0x10000ff00, 0x100001200)] },
    ]),
    cases: [
      sys('getpriority', BADWHICH, 0x100001234n),
      sys('getpriority', BADWHICH, 0x1234),
      sys('getpriority', BADWHICH, 0x300001299n),
      sys('getpriority', BADWHICH, 0x100002234n),
    ],
  },
  {
    name: 'several arguments ANDed',
    profile: allow([
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 10, args: [arg(0, 'SCMP_CMP_EQ', BADFD), arg(2, 'SCMP_CMP_EQ', 1)] },
    ]),
    cases: [sys('lseek', BADFD, 0, 1), sys('lseek', BADFD, 0, 2), sys('lseek', BADFD - 1, 0, 1)],
  },
  {
    name: 'the same argument twice (runc makes two ORed rules)',
    profile: allow([
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 11, args: [arg(2, 'SCMP_CMP_EQ', 1), arg(2, 'SCMP_CMP_EQ', 2)] },
    ]),
    cases: [sys('lseek', BADFD, 0, 1), sys('lseek', BADFD, 0, 2), sys('lseek', BADFD, 0, 0)],
  },
  {
    name: 'several rules for one syscall ORed',
    profile: allow([
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 21, args: [arg(2, 'SCMP_CMP_EQ', 1)] },
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [arg(2, 'SCMP_CMP_EQ', 2)] },
    ]),
    cases: [sys('lseek', BADFD, 0, 1), sys('lseek', BADFD, 0, 2), sys('lseek', BADFD, 0, 0)],
  },
  {
    name: 'kill, kill process, trap',
    profile: allow([
      { names: ['getpriority'], action: 'SCMP_ACT_KILL' },
      { names: ['lseek'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['dup'], action: 'SCMP_ACT_TRAP' },
      { names: ['setns'], action: 'SCMP_ACT_KILL_THREAD' },
    ]),
    cases: [sys('getpriority', BADWHICH, 0), sys('lseek', BADFD, 0, 0), sys('dup', BADFD), sys('setns', BADFD, 0), sys('getppid')],
  },
  {
    name: 'trace without a tracer, log, errno 0',
    profile: allow([
      { names: ['getpriority'], action: 'SCMP_ACT_TRACE' },
      { names: ['lseek'], action: 'SCMP_ACT_LOG' },
      { names: ['dup'], action: 'SCMP_ACT_ERRNO', errnoRet: 0 },
    ]),
    cases: [sys('getpriority', BADWHICH, 0), sys('lseek', BADFD, 0, 0), sys('dup', BADFD)],
  },
  {
    // (flags are covered by kernel.test.ts: runc 1.1.5 refuses any seccomp flag)
    name: 'default KILL_PROCESS: listed syscalls allowed, newer ones get ENOSYS from the stub',
    profile: {
      ...strict(1, ['lseek']),
      defaultAction: 'SCMP_ACT_KILL_PROCESS',
      defaultErrnoRet: undefined,
      architectures: ['SCMP_ARCH_X86_64'],
    },
    cases: [sys('getpid'), sys('lseek', BADFD, 0, 0), '1000', x32('getpid'), '0xffffffff'],
  },
  {
    name: 'x86_64 only: x32 calls get the bad-arch action',
    profile: allow([{ names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 4 }], { architectures: ['SCMP_ARCH_X86_64'] }),
    cases: [sys('lseek', BADFD, 0, 0), x32('getpid'), x32('lseek', BADFD, 0, 0)],
    i386: [i386('getpid')],
  },
  {
    name: 'x86_64 and x32: rules apply to both ABIs',
    profile: allow([{ names: ['lseek', 'getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 4 }], { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'] }),
    cases: [sys('lseek', BADFD, 0, 0), x32('getpid'), x32('lseek', BADFD, 0, 0), x32('getppid')],
  },
  {
    name: 'rules equal to the default are dropped; other errnos kept',
    profile: strict(1, ['mount', 'umount2'], {
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['mount'], action: 'SCMP_ACT_ERRNO' },
        { names: ['umount2'], action: 'SCMP_ACT_ERRNO', errnoRet: 2 },
      ],
    }),
    cases: [sys('mount', 0, 0, 0, 0, 0), sys('umount2', 0, 0), sys('getpid')],
  },
  {
    name: 'unknown names are skipped',
    profile: allow([{ names: ['no_such_syscall', 'lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 3 }]),
    cases: [sys('lseek', BADFD, 0, 0), sys('getpid')],
  },
  {
    name: 'an unconditional rule beside a conditional one',
    profile: allow([
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 5, args: [arg(2, 'SCMP_CMP_EQ', 1)] },
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 7 },
    ]),
    cases: [sys('lseek', BADFD, 0, 1), sys('lseek', BADFD, 0, 0)],
  },
  {
    name: 'overlapping rules with different actions: libseccomp tests the higher argument first',
    profile: allow([
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 60, args: [arg(0, 'SCMP_CMP_EQ', BADFD)] },
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 50, args: [arg(2, 'SCMP_CMP_EQ', 1)] },
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 70, args: [arg(1, 'SCMP_CMP_EQ', 0)] },
    ]),
    cases: [sys('lseek', BADFD, 0, 1), sys('lseek', BADFD, 0, 0), sys('lseek', BADFD, 1, 0), sys('lseek', BADFD - 1, 1, 1), sys('lseek', BADFD - 1, 1, 0)],
  },
  {
    name: 'overlapping comparisons on one argument: the larger value first',
    profile: allow([
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 60, args: [arg(2, 'SCMP_CMP_GT', 0)] },
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 50, args: [arg(2, 'SCMP_CMP_GT', 1)] },
      { names: ['getpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 61, args: [arg(1, 'SCMP_CMP_LT', 10)] },
      { names: ['getpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 62, args: [arg(1, 'SCMP_CMP_NE', 3)] },
      { names: ['getpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 63, args: [arg(1, 'SCMP_CMP_MASKED_EQ', 0xf0, 0x20)] },
    ]),
    cases: [
      sys('lseek', BADFD, 0, 2),
      sys('lseek', BADFD, 0, 1),
      sys('lseek', BADFD, 0, 0),
      sys('getpriority', BADWHICH, 3),
      sys('getpriority', BADWHICH, 5),
      sys('getpriority', BADWHICH, 0x25),
      sys('getpriority', BADWHICH, 0x35),
    ],
  },
  {
    name: 'MASKED_EQ compares value & mask; a zero mask always holds and makes the rule unconditional',
    profile: allow([
      { names: ['getpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 64, args: [arg(1, 'SCMP_CMP_MASKED_EQ', 0x0f, 0x15)] },
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 41, args: [arg(1, 'SCMP_CMP_MASKED_EQ', 0, 0)] },
      { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 42 },
    ]),
    cases: [sys('getpriority', BADWHICH, 0x25), sys('getpriority', BADWHICH, 0x15), sys('getpriority', BADWHICH, 0x26), sys('lseek', BADFD, 7, 0)],
  },
  ...overlapPairs(),
];

/**
 * Pairs of overlapping one-condition rules with different actions (ERRNO 50 for
 * the first, 60 for the second) on argument 1 of harmless calls, in both
 * orders: the measurements behind libseccompOrder() in policy.ts.
 */
function overlapPairs(): ProfileCase[] {
  type C = [RuntimeTypes.SeccompOperators, number, number?];
  const at5: Record<string, C> = {
    EQ: ['SCMP_CMP_EQ', 5],
    NE: ['SCMP_CMP_NE', 3],
    LT: ['SCMP_CMP_LT', 10],
    LE: ['SCMP_CMP_LE', 9],
    GT: ['SCMP_CMP_GT', 1],
    GE: ['SCMP_CMP_GE', 2],
    ME: ['SCMP_CMP_MASKED_EQ', 0xf, 5],
  };
  const pairs: Array<[C, C, number]> = [];
  for (const a of Object.keys(at5)) for (const b of Object.keys(at5)) if (a !== b) pairs.push([at5[a], at5[b], 5]);
  const more: Array<[C, C, number]> = [
    [['SCMP_CMP_EQ', 3], ['SCMP_CMP_NE', 5], 3],
    [['SCMP_CMP_LE', 20], ['SCMP_CMP_LT', 10], 5],
    [['SCMP_CMP_LT', 20], ['SCMP_CMP_LE', 9], 5],
    [['SCMP_CMP_GE', 1], ['SCMP_CMP_GT', 2], 5],
    [['SCMP_CMP_GE', 4], ['SCMP_CMP_GT', 0], 5],
    [['SCMP_CMP_GE', 4], ['SCMP_CMP_LT', 6], 5],
    [['SCMP_CMP_GT', 4], ['SCMP_CMP_LE', 5], 5],
    [['SCMP_CMP_LT', 6], ['SCMP_CMP_LT', 9], 5],
    [['SCMP_CMP_NE', 3], ['SCMP_CMP_NE', 4], 5],
  ];
  for (const [a, b, v] of more) pairs.push([a, b, v], [b, a, v]);
  // Calls whose argument 1 is free and that fail the same way whatever it is.
  const slots: Array<(x: number) => string> = [
    (x) => sys('lseek', BADFD, x, 0),
    (x) => sys('getpriority', BADWHICH, x),
    (x) => sys('setns', BADFD, x),
    (x) => sys('dup2', BADFD, x),
    (x) => sys('fchmod', BADFD, x),
    (x) => sys('ftruncate', BADFD, x),
    (x) => sys('flock', BADFD, x),
    (x) => sys('fchown', BADFD, x, 0),
  ];
  const names = ['lseek', 'getpriority', 'setns', 'dup2', 'fchmod', 'ftruncate', 'flock', 'fchown'];
  const out: ProfileCase[] = [];
  for (let i = 0; i < pairs.length; i += slots.length) {
    const chunk = pairs.slice(i, i + slots.length);
    const syscalls: RuntimeTypes.Syscall[] = [];
    chunk.forEach(([a, b], j) => {
      for (const [c, errnoRet] of [[a, 50], [b, 60]] as const) {
        syscalls.push({ names: [names[j]], action: 'SCMP_ACT_ERRNO', errnoRet, args: [arg(1, c[0], c[1], c[2])] });
      }
    });
    out.push({
      name: `overlapping pairs ${i + 1}-${i + chunk.length}: ${chunk.map(([a, b, v]) => `${a[0].slice(9)} ${a[1]} / ${b[0].slice(9)} ${b[1]} @${v}`).join(', ')}`,
      profile: allow(syscalls),
      cases: chunk.map(([, , v], j) => slots[j](v)),
    });
  }
  return out;
}
