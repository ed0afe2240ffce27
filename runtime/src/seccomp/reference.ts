// A deliberately naive evaluator of an OCI seccomp section: it walks the
// profile's rules for one syscall, with none of the compiler's structure
// (no per-ABI tables, no search tree, no 32-bit words), so that the fuzz test
// can hold the compiled program against it.
import type { RuntimeTypes } from '@berth/spec';
import { ARCHES, I386_MULTIPLEXERS, abiOf } from './arch';
import { ENOSYS, SECCOMP_RET } from './constants';
import type { SeccompData } from './evaluate';
import { actionValue, effectiveConditions, libseccompOrder, parseCondition, resolveAbis, splitConditions, type Condition } from './policy';

const ALLOW_LIKE = ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'];

function holds(c: Condition, args: readonly bigint[], bits: 32 | 64): boolean {
  const mask = bits === 64 ? (1n << 64n) - 1n : 0xffffffffn;
  const arg = (args[c.index] ?? 0n) & mask;
  const v = c.value & mask;
  switch (c.op) {
    case 'SCMP_CMP_EQ':
      return arg === v;
    case 'SCMP_CMP_NE':
      return arg !== v;
    case 'SCMP_CMP_LT':
      return arg < v;
    case 'SCMP_CMP_LE':
      return arg <= v;
    case 'SCMP_CMP_GT':
      return arg > v;
    case 'SCMP_CMP_GE':
      return arg >= v;
    case 'SCMP_CMP_MASKED_EQ':
      return (arg & v) === (c.valueTwo & mask);
  }
}

/** What the profile decides for one syscall: the SECCOMP_RET_* value the filter must return. */
export function evaluatePolicy(seccomp: RuntimeTypes.Seccomp, data: SeccompData, nativeArch: string = process.arch): number {
  const { abis, listed } = resolveAbis(seccomp, nativeArch);
  let abi = abiOf(data.arch, data.nr);
  // nr -1 counts as x86_64 when the filter has no x32 part (libseccomp), past runc's stub.
  let skipped = false;
  if (abi === 'x32' && data.nr >>> 0 === 0xffffffff && !abis.includes('x32')) {
    abi = 'x86_64';
    skipped = true;
  }
  if (abi === undefined || !abis.includes(abi)) return SECCOMP_RET.KILL_THREAD;
  const { table, bits } = ARCHES[abi];
  const nr = data.nr >>> 0;
  const args = data.args ?? [];
  const fallback = actionValue(seccomp.defaultAction, seccomp.defaultErrnoRet, 'defaultAction');
  const syscalls = seccomp.syscalls ?? [];

  // runc's -ENOSYS stub for numbers above every syscall the profile names.
  const stub =
    !ALLOW_LIKE.includes(seccomp.defaultAction) && !(seccomp.defaultAction === 'SCMP_ACT_ERRNO' && seccomp.defaultErrnoRet === ENOSYS);
  if (stub && listed.includes(abi) && !skipped) {
    let max = 0;
    for (const s of syscalls) for (const n of s.names) max = Math.max(max, table.get(n) ?? 0);
    if (max > 0 && nr > max) return (SECCOMP_RET.ERRNO | ENOSYS) >>> 0;
  }

  const entries = syscalls
    .map((s, i) => ({ s, action: actionValue(s.action, s.errnoRet, `syscalls[${i}]`) }))
    .filter(({ action }) => action !== fallback);
  const matching = entries.filter(({ s }) => s.names.some((n) => table.get(n) === nr));
  // i386 socketcall(2) and ipc(2): each multiplexed call named in the profile, on its call number in arg 0.
  const mux = abi === 'i386' ? I386_MULTIPLEXERS.find((m) => m.nr === nr) : undefined;
  const multiplexed = mux
    ? entries.flatMap(({ s, action }) =>
        s.names
          .filter((n) => mux.calls.has(n))
          .flatMap((n) =>
            splitConditions((s.args ?? []).map((a, j) => parseCondition(a, `args[${j}]`))).map((group) => ({
              action,
              conditions: [
                { index: 0, op: 'SCMP_CMP_EQ' as const, value: BigInt(mux.calls.get(n) ?? 0), valueTwo: 0n },
                ...effectiveConditions(group, 32).filter((c) => c.index !== 0),
              ],
            })),
          ),
      )
    : [];
  const rules = [
    ...matching.flatMap(({ s, action }) =>
      splitConditions((s.args ?? []).map((a, j) => parseCondition(a, `args[${j}]`))).map((group) => ({
        action,
        conditions: effectiveConditions(group, bits),
      })),
    ),
    ...multiplexed,
  ];
  for (const { action, conditions } of rules) if (conditions.length === 0) return action;
  for (const { action, conditions } of libseccompOrder(rules)) if (conditions.every((c) => holds(c, args, bits))) return action;
  return fallback;
}
