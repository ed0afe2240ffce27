import type { RuntimeTypes } from '@berth/spec';
import type { LaunchPlan } from '@berth/sys';
import { ConfigError } from './errors';

/**
 * linux.personality, process.scheduler, process.ioPriority and
 * linux.memoryPolicy as the kernel's numbers; berth-init applies them
 * before it drops capabilities. Values the kernel would refuse are
 * refused here, naming the field.
 */

type Plan = Pick<LaunchPlan, 'personality' | 'ioPriority' | 'scheduler' | 'memoryPolicy'>;

const PERSONAS: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };
const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
const POLICIES: Record<string, number> = { SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_IDLE: 5, SCHED_DEADLINE: 6 };
const SCHED_FLAGS: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01, SCHED_FLAG_RECLAIM: 0x02, SCHED_FLAG_DL_OVERRUN: 0x04, SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20, SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};
const MPOL_MODES: Record<string, number> = {
  MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4, MPOL_PREFERRED_MANY: 5, MPOL_WEIGHTED_INTERLEAVE: 6,
};
const MPOL_FLAGS: Record<string, number> = { MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15 };

function personality(p: RuntimeTypes.Personality | undefined): number | undefined {
  if (!p || Object.keys(p).length === 0) return undefined;
  const persona = PERSONAS[p.domain ?? ''];
  if (persona === undefined) throw new ConfigError(`$.linux.personality.domain: ${JSON.stringify(p.domain)} is not LINUX or LINUX32`);
  if (p.flags?.length) throw new ConfigError('$.linux.personality.flags: personality flags are not supported by berth-runtime');
  return persona;
}

function ioPriority(io: RuntimeTypes.IoPriority | undefined): number | undefined {
  if (!io) return undefined;
  const cls = IOPRIO_CLASSES[io.class];
  if (cls === undefined) throw new ConfigError(`$.process.ioPriority.class: unknown class ${JSON.stringify(io.class)}`);
  const level = io.priority ?? 0;
  if (!Number.isInteger(level) || level < 0 || level > 7) throw new ConfigError(`$.process.ioPriority.priority: ${level} is not within 0..7`);
  return (cls << 13) | level;
}

function scheduler(sc: RuntimeTypes.Scheduler | undefined): Plan['scheduler'] {
  if (!sc) return undefined;
  const at = '$.process.scheduler';
  const policy = POLICIES[sc.policy];
  if (policy === undefined) throw new ConfigError(`${at}.policy: ${sc.policy} is not a Linux scheduling policy`);
  let flags = 0;
  (sc.flags ?? []).forEach((f, i) => {
    const bit = SCHED_FLAGS[f];
    if (bit === undefined) throw new ConfigError(`${at}.flags[${i}]: unknown flag ${JSON.stringify(f)}`);
    flags |= bit;
  });
  const nice = sc.nice ?? 0;
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) throw new ConfigError(`${at}.nice: ${nice} is not within -20..19`);
  const priority = sc.priority ?? 0;
  const realtime = sc.policy === 'SCHED_FIFO' || sc.policy === 'SCHED_RR';
  if (realtime && (priority < 1 || priority > 99)) throw new ConfigError(`${at}.priority: ${sc.policy} needs a priority within 1..99`);
  if (!realtime && priority !== 0) throw new ConfigError(`${at}.priority: must be 0 for ${sc.policy}`);
  const ns = (v: number | undefined, field: string) => {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new ConfigError(`${at}.${field}: ${v} is not a count of nanoseconds`);
    return BigInt(v ?? 0);
  };
  const runtime = ns(sc.runtime, 'runtime');
  const deadline = ns(sc.deadline, 'deadline');
  const period = ns(sc.period, 'period');
  if (sc.policy === 'SCHED_DEADLINE' && !(runtime > 0n && runtime <= deadline && (period === 0n || deadline <= period))) {
    throw new ConfigError(`${at}: SCHED_DEADLINE needs 0 < runtime <= deadline <= period`);
  }
  return { policy, flags, nice, priority, runtime, deadline, period };
}

/** "0-3,7" → [0, 1, 2, 3, 7] */
function parseNodes(text: string, at: string): number[] {
  const nodes: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new ConfigError(`${at}: ${JSON.stringify(text)} is not a node list like "0-3,7"`);
    const [lo, hi] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (hi < lo || hi > 1023) throw new ConfigError(`${at}: range ${part.trim()} is not within 0..1023`);
    for (let n = lo; n <= hi; n++) nodes.push(n);
  }
  return nodes;
}

function memoryPolicy(mp: RuntimeTypes.MemoryPolicy | undefined): Plan['memoryPolicy'] {
  if (!mp || Object.keys(mp).length === 0) return undefined;
  const at = '$.linux.memoryPolicy';
  const mode = MPOL_MODES[mp.mode ?? ''];
  if (mode === undefined) throw new ConfigError(`${at}.mode: ${JSON.stringify(mp.mode)} is not a memory policy mode`);
  let flags = 0;
  (mp.flags ?? []).forEach((f, i) => {
    const bit = MPOL_FLAGS[f];
    if (bit === undefined) throw new ConfigError(`${at}.flags[${i}]: unknown flag ${JSON.stringify(f)}`);
    flags |= bit;
  });
  const nodes = mp.nodes ? parseNodes(mp.nodes, `${at}.nodes`) : [];
  const noNodes = mp.mode === 'MPOL_DEFAULT' || mp.mode === 'MPOL_LOCAL';
  if (noNodes && nodes.length) throw new ConfigError(`${at}.nodes: ${mp.mode} takes no nodes`);
  if (!noNodes && mp.mode !== 'MPOL_PREFERRED' && !nodes.length) throw new ConfigError(`${at}.nodes: ${mp.mode} needs nodes`);
  return { mode: mode | flags, nodes };
}

/** The plan's scheduling fields from the config (each undefined when not set). */
export function schedulingPlan(config: RuntimeTypes.Spec): Plan {
  return {
    personality: personality(config.linux?.personality),
    ioPriority: ioPriority(config.process?.ioPriority),
    scheduler: scheduler(config.process?.scheduler),
    memoryPolicy: memoryPolicy(config.linux?.memoryPolicy),
  };
}
