// Validates an OCI seccomp section and resolves it into per-ABI rule lists:
// the one place where runc's and libseccomp's semantics are encoded, so that
// the compiler only has to emit code for them.
import type { RuntimeTypes } from '@berth/spec';
import { ARCHES, I386_MULTIPLEXERS, archFromScmp, nativeArchName, type ArchName } from './arch';
import { ENOSYS, EPERM, SECCOMP_FILTER_FLAG, SECCOMP_RET } from './constants';
import { SeccompError } from './errors';

export type Operator = RuntimeTypes.SeccompOperators;

export interface Condition {
  readonly index: number;
  readonly op: Operator;
  readonly value: bigint;
  /** MASKED_EQ: the value compared against `arg & value`. */
  readonly valueTwo: bigint;
}

/** One rule for one syscall on one ABI: every condition must hold (AND). */
export interface Rule {
  readonly action: number;
  readonly conditions: readonly Condition[];
}

export interface ResolvedPolicy {
  readonly defaultAction: number;
  /** Returned for a syscall from an ABI outside `abis` (libseccomp's default bad-arch action). */
  readonly badArchAction: number;
  /** The native ABI first, then those `architectures` adds, without duplicates. */
  readonly abis: readonly ArchName[];
  /** Per ABI: syscall number -> rules in profile order. */
  readonly rules: ReadonlyMap<ArchName, ReadonlyMap<number, readonly Rule[]>>;
  /** runc's -ENOSYS stub: per ABI, syscall numbers above this get ERRNO(ENOSYS). */
  readonly enosysAbove: ReadonlyMap<ArchName, number>;
  readonly flags: number;
  readonly listenerPath?: string;
  /** Names no table knows (skipped, as runc does with names libseccomp does not know). */
  readonly unknownNames: readonly string[];
}

const OPERATORS: ReadonlySet<string> = new Set<Operator>([
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
]);

const U64_MAX = (1n << 64n) - 1n;

/**
 * The filter return value for an OCI action, as runc maps it: SCMP_ACT_KILL is
 * KILL_THREAD, ERRNO and TRACE default to EPERM, errnoRet only with those two.
 */
export function actionValue(action: string, errnoRet: unknown, field: string): number {
  const data = (): number => {
    if (errnoRet === undefined || errnoRet === null) return EPERM;
    if (typeof errnoRet !== 'number' || !Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > 4095) {
      throw new SeccompError(`${field}: errnoRet must be an integer from 0 to 4095, got ${JSON.stringify(errnoRet)}`);
    }
    return errnoRet;
  };
  const noErrno = (): void => {
    if (errnoRet !== undefined && errnoRet !== null) {
      throw new SeccompError(`${field}: errnoRet is only allowed with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not ${action}`);
    }
  };
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      noErrno();
      return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      noErrno();
      return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      noErrno();
      return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET.ERRNO | data()) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET.TRACE | data()) >>> 0;
    case 'SCMP_ACT_ALLOW':
      noErrno();
      return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_LOG':
      noErrno();
      return SECCOMP_RET.LOG;
    case 'SCMP_ACT_NOTIFY':
      noErrno();
      return SECCOMP_RET.USER_NOTIF;
    default:
      throw new SeccompError(`${field}: unknown action ${JSON.stringify(action)}`);
  }
}

/** An OCI argument value as an unsigned 64-bit integer (JSON numbers above 2^53 have already lost precision). */
export function u64(v: unknown, field: string): bigint {
  if (typeof v === 'bigint') {
    if (v >= 0n && v <= U64_MAX) return v;
  } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
    const b = BigInt(v);
    if (b <= U64_MAX) return b;
  }
  throw new SeccompError(`${field}: must be an unsigned 64-bit integer, got ${String(v)}`);
}

/** Parses one `args[]` entry. */
export function parseCondition(arg: unknown, field: string): Condition {
  if (typeof arg !== 'object' || arg === null) throw new SeccompError(`${field}: must be an object`);
  const a = arg as Record<string, unknown>;
  const index = a.index;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) {
    throw new SeccompError(`${field}.index: must be an integer from 0 to 5, got ${JSON.stringify(index)}`);
  }
  const op = a.op;
  if (typeof op !== 'string' || !OPERATORS.has(op)) {
    throw new SeccompError(`${field}.op: unknown operator ${JSON.stringify(op)}`);
  }
  const value = u64(a.value, `${field}.value`);
  let valueTwo = 0n;
  if (a.valueTwo !== undefined && a.valueTwo !== null) valueTwo = u64(a.valueTwo, `${field}.valueTwo`);
  // libseccomp compares (arg & mask) with (value & mask): bits outside the mask never count.
  if (op === 'SCMP_CMP_MASKED_EQ') valueTwo &= value;
  return { index, op: op as Operator, value, valueTwo };
}

/**
 * The conditions libseccomp keeps for one ABI: a MASKED_EQ whose mask has no
 * bits in the compared word(s) always holds and is dropped, which can make the
 * rule unconditional (and then it beats conditional rules).
 */
export function effectiveConditions(conds: readonly Condition[], bits: 32 | 64): Condition[] {
  const word = bits === 64 ? U64_MAX : 0xffffffffn;
  return conds.filter((c) => !(c.op === 'SCMP_CMP_MASKED_EQ' && (c.value & word) === 0n));
}

/**
 * The conditions of one OCI syscall entry as the rules libseccomp receives from
 * runc: one rule with every condition ANDed, except that when two conditions
 * test the same argument runc adds one rule per condition (ORed).
 */
export function splitConditions(conds: readonly Condition[]): Condition[][] {
  if (conds.length === 0) return [[]];
  const seen = new Set<number>();
  let repeated = false;
  for (const c of conds) {
    if (seen.has(c.index)) repeated = true;
    seen.add(c.index);
  }
  return repeated ? conds.map((c) => [c]) : [[...conds]];
}

/**
 * Where conditional rules with different actions overlap, libseccomp does not
 * follow the profile order: it builds a decision tree whose first level holds
 * each rule's condition on its lowest argument, and tests that level in an
 * order of its own. The order below reproduces what runc 1.1.5 with libseccomp
 * 2.5.4 does (measured pair by pair, see test/seccomp/profiles.ts): the higher
 * argument first; then EQ/NE/MASKED_EQ before LT/LE before GT/GE; within
 * EQ/NE/MASKED_EQ and GT/GE the larger value first, within LT/LE the smaller;
 * otherwise profile order. (Deeper levels are not modelled: a rule whose first
 * condition holds but a later one fails falls through to the next rule here.)
 */
function headOf(conds: readonly Condition[]): Condition {
  let head = conds[0];
  for (const c of conds) if (c.index < head.index) head = c;
  return head;
}

function opClass(op: Operator): number {
  if (op === 'SCMP_CMP_LT' || op === 'SCMP_CMP_LE') return 2;
  if (op === 'SCMP_CMP_GT' || op === 'SCMP_CMP_GE') return 1;
  return 3;
}

function compareHeads(a: Condition, b: Condition): number {
  if (a.index !== b.index) return b.index - a.index;
  const ca = opClass(a.op);
  const cb = opClass(b.op);
  if (ca !== cb) return cb - ca;
  // MASKED_EQ and EQ/NE are not ordered against each other: the earlier rule stays first.
  if ((a.op === 'SCMP_CMP_MASKED_EQ') !== (b.op === 'SCMP_CMP_MASKED_EQ')) return 0;
  const da = a.op === 'SCMP_CMP_MASKED_EQ' ? a.valueTwo : a.value;
  const db = b.op === 'SCMP_CMP_MASKED_EQ' ? b.valueTwo : b.value;
  if (da === db) return 0;
  const larger = da > db ? -1 : 1;
  return ca === 2 ? -larger : larger;
}

/**
 * Orders one syscall's rules as libseccomp tests them: unconditional first, then
 * by first condition, inserting each rule in profile order before the first
 * rule it must precede, as libseccomp inserts nodes into a level.
 */
export function libseccompOrder<T extends { readonly conditions: readonly Condition[] }>(rules: readonly T[]): T[] {
  const always = rules.filter((r) => r.conditions.length === 0);
  const level: T[] = [];
  for (const r of rules) {
    if (r.conditions.length === 0) continue;
    const head = headOf(r.conditions);
    const at = level.findIndex((x) => compareHeads(head, headOf(x.conditions)) < 0);
    if (at < 0) level.push(r);
    else level.splice(at, 0, r);
  }
  return [...always, ...level];
}

const ALLOW_LIKE: ReadonlySet<string> = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE']);

/** The ABIs the filter covers: the native one always (as libseccomp), then `architectures`. */
export function resolveAbis(
  seccomp: RuntimeTypes.Seccomp,
  nativeArch: string,
): { abis: ArchName[]; listed: ArchName[] } {
  const native = nativeArchName(nativeArch);
  if (!native) throw new SeccompError(`seccomp: native architecture ${nativeArch} is not supported (x86_64, aarch64)`);
  const abis: ArchName[] = [native];
  const listed: ArchName[] = [];
  const archs: unknown = seccomp.architectures ?? [];
  if (!Array.isArray(archs)) throw new SeccompError('seccomp.architectures: must be an array');
  archs.forEach((scmp: unknown, i) => {
    const abi = typeof scmp === 'string' ? archFromScmp(scmp) : undefined;
    if (!abi) {
      throw new SeccompError(
        `seccomp.architectures[${i}]: ${JSON.stringify(scmp)} is not supported ` +
          `(${Object.values(ARCHES)
            .map((a) => a.scmp)
            .join(', ')})`,
      );
    }
    if (!abis.includes(abi)) abis.push(abi);
    if (!listed.includes(abi)) listed.push(abi);
  });
  return { abis, listed };
}

function parseFlags(seccomp: RuntimeTypes.Seccomp, hasNotify: boolean): number {
  let flags = hasNotify ? SECCOMP_FILTER_FLAG.NEW_LISTENER : 0;
  const list: unknown = seccomp.flags ?? [];
  if (!Array.isArray(list)) throw new SeccompError('seccomp.flags: must be an array');
  list.forEach((flag: unknown, i) => {
    switch (flag) {
      case 'SECCOMP_FILTER_FLAG_TSYNC':
        // The init is single-threaded when it installs the filter; runc ignores it too.
        break;
      case 'SECCOMP_FILTER_FLAG_LOG':
        flags |= SECCOMP_FILTER_FLAG.LOG;
        break;
      case 'SECCOMP_FILTER_FLAG_SPEC_ALLOW':
        flags |= SECCOMP_FILTER_FLAG.SPEC_ALLOW;
        break;
      case 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV':
        if (!hasNotify) {
          throw new SeccompError(
            `seccomp.flags[${i}]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a rule with SCMP_ACT_NOTIFY (the kernel refuses it without a listener)`,
          );
        }
        flags |= SECCOMP_FILTER_FLAG.WAIT_KILLABLE_RECV;
        break;
      default:
        throw new SeccompError(`seccomp.flags[${i}]: unknown flag ${JSON.stringify(flag)}`);
    }
  });
  return flags;
}

/** Validates the profile and resolves names and rules for every ABI the filter covers. */
export function resolvePolicy(seccomp: RuntimeTypes.Seccomp, nativeArch: string): ResolvedPolicy {
  if (typeof seccomp !== 'object' || seccomp === null) throw new SeccompError('seccomp: must be an object');
  if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY') {
    throw new SeccompError('seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action');
  }
  const defaultAction = actionValue(seccomp.defaultAction, seccomp.defaultErrnoRet, 'seccomp.defaultAction');
  const { abis, listed } = resolveAbis(seccomp, nativeArch);

  const perAbi = new Map<ArchName, Map<number, Rule[]>>(abis.map((a) => [a, new Map()]));
  const highest = new Map<ArchName, number>();
  const unknown = new Set<string>();
  let hasNotify = false;
  const syscalls: unknown = seccomp.syscalls ?? [];
  if (!Array.isArray(syscalls)) throw new SeccompError('seccomp.syscalls: must be an array');

  syscalls.forEach((entry: unknown, i) => {
    const field = `seccomp.syscalls[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw new SeccompError(`${field}: must be an object`);
    const e = entry as Record<string, unknown>;
    const names = e.names;
    if (!Array.isArray(names) || names.length === 0) throw new SeccompError(`${field}.names: must be a non-empty array`);
    const action = actionValue(e.action as string, e.errnoRet, `${field}.action`);
    const args: unknown = e.args ?? [];
    if (!Array.isArray(args)) throw new SeccompError(`${field}.args: must be an array`);
    const conds = args.map((a: unknown, j) => parseCondition(a, `${field}.args[${j}]`));
    if (e.action === 'SCMP_ACT_NOTIFY') {
      hasNotify = true;
      // The init writes to the runtime and sends the listener fd after the filter is loaded:
      // notifying on those would block it on an agent that has no fd yet.
      for (const used of ['write', 'sendmsg']) {
        if (names.includes(used)) throw new SeccompError(`${field}: SCMP_ACT_NOTIFY cannot be used for ${used} (the init reports the listener with it)`);
      }
    }
    names.forEach((name: unknown, k) => {
      if (typeof name !== 'string' || name === '') throw new SeccompError(`${field}.names[${k}]: must be a non-empty string`);
      let known = false;
      for (const mux of abis.includes('i386') ? I386_MULTIPLEXERS : []) {
        const call = mux.calls.get(name);
        if (call === undefined) continue;
        known = true;
        if (action === defaultAction) continue;
        const table = perAbi.get('i386') as Map<number, Rule[]>;
        const list = table.get(mux.nr) ?? [];
        // The call number replaces any condition on argument 0; the others stay at their index.
        const callIs: Condition = { index: 0, op: 'SCMP_CMP_EQ', value: BigInt(call), valueTwo: 0n };
        for (const group of splitConditions(conds)) {
          list.push({ action, conditions: [callIs, ...effectiveConditions(group, 32).filter((c) => c.index !== 0)] });
        }
        table.set(mux.nr, list);
      }
      for (const abi of abis) {
        const nr = ARCHES[abi].table.get(name);
        if (nr === undefined) continue;
        known = true;
        // Every named syscall counts for the -ENOSYS stub, even rules dropped below.
        if (nr > (highest.get(abi) ?? -1)) highest.set(abi, nr);
        // A rule that does what the default does is redundant: runc drops it.
        if (action === defaultAction) continue;
        const table = perAbi.get(abi) as Map<number, Rule[]>;
        const list = table.get(nr) ?? [];
        for (const group of splitConditions(conds)) list.push({ action, conditions: effectiveConditions(group, ARCHES[abi].bits) });
        table.set(nr, list);
      }
      if (!known) unknown.add(name);
    });
  });

  if (hasNotify && !seccomp.listenerPath) {
    throw new SeccompError('seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY');
  }
  const flags = parseFlags(seccomp, hasNotify);

  // runc prepends a stub giving -ENOSYS to syscalls newer than any the profile
  // names, so that new syscalls fall back (glibc clone3 -> clone) instead of failing with EPERM.
  const enosysAbove = new Map<ArchName, number>();
  const stub =
    !ALLOW_LIKE.has(seccomp.defaultAction) &&
    !(seccomp.defaultAction === 'SCMP_ACT_ERRNO' && seccomp.defaultErrnoRet === ENOSYS);
  if (stub) {
    for (const abi of listed) {
      const max = highest.get(abi);
      if (max !== undefined && max > 0) enosysAbove.set(abi, max);
    }
  }

  for (const table of perAbi.values()) for (const [nr, list] of table) table.set(nr, libseccompOrder(list));

  return {
    defaultAction,
    badArchAction: SECCOMP_RET.KILL_THREAD,
    abis,
    rules: perAbi,
    enosysAbove,
    flags,
    ...(seccomp.listenerPath ? { listenerPath: seccomp.listenerPath } : {}),
    unknownNames: [...unknown],
  };
}
