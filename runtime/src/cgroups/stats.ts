/**
 * The stats `runc events --stats` prints (runc's types/events.go), so tools
 * that parse runc's output (containerd's v1 shim, `docker stats` through it)
 * read ours. Counters are bigint: limits are often 2^64-1, which a JS number
 * cannot hold. `eventsJson` writes them as plain JSON numbers.
 */
export interface PSIData { avg10: number; avg60: number; avg300: number; total: bigint }
export interface PSIStats { some: PSIData; full: PSIData }

export interface CpuUsage {
  total?: bigint;
  percpu?: bigint[];
  percpu_kernel?: bigint[];
  percpu_user?: bigint[];
  kernel: bigint;
  user: bigint;
}
export interface Throttling { periods?: bigint; throttledPeriods?: bigint; throttledTime?: bigint }
export interface CpuStats { usage: CpuUsage; throttling: Throttling; psi?: PSIStats }

export interface MemoryEntry { limit: bigint; usage?: bigint; max?: bigint; failcnt: bigint }
export interface MemoryStats {
  cache?: bigint;
  usage: MemoryEntry;
  swap: MemoryEntry;
  kernel: MemoryEntry;
  kernelTCP: MemoryEntry;
  raw?: Record<string, bigint>;
  psi?: PSIStats;
}

export interface PidsStats { current?: bigint; limit?: bigint }
export interface BlkioEntry { major?: bigint; minor?: bigint; op?: string; value?: bigint }
export interface BlkioStats {
  ioServiceBytesRecursive?: BlkioEntry[];
  ioServicedRecursive?: BlkioEntry[];
  ioQueueRecursive?: BlkioEntry[];
  ioServiceTimeRecursive?: BlkioEntry[];
  ioWaitTimeRecursive?: BlkioEntry[];
  ioMergedRecursive?: BlkioEntry[];
  ioTimeRecursive?: BlkioEntry[];
  sectorsRecursive?: BlkioEntry[];
  psi?: PSIStats;
}
/** runc's CPUSetStats (v1 only; runc reports none on v2). */
export interface CpusetStats {
  cpus?: number[];
  cpu_exclusive?: bigint;
  mems?: number[];
  mem_hardwall?: bigint;
  mem_exclusive?: bigint;
  memory_migrate?: bigint;
  memory_spread_page?: bigint;
  memory_spread_slab?: bigint;
  memory_pressure?: bigint;
  sched_load_balance?: bigint;
  sched_relax_domain_level?: bigint;
}
export interface HugetlbStats { usage?: bigint; max?: bigint; failcnt: bigint }

export interface CgroupStats {
  cpu: CpuStats;
  cpuset: CpusetStats;
  memory: MemoryStats;
  pids: PidsStats;
  blkio: BlkioStats;
  hugetlb: Record<string, HugetlbStats>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

/** Zeroed stats; keys are laid out in runc's field order so the JSON reads the same. */
export function emptyStats(): CgroupStats {
  const entry = (): MemoryEntry => ({ limit: 0n, usage: undefined, max: undefined, failcnt: 0n });
  return {
    cpu: {
      usage: { total: undefined, percpu: undefined, percpu_kernel: undefined, percpu_user: undefined, kernel: 0n, user: 0n },
      throttling: { periods: undefined, throttledPeriods: undefined, throttledTime: undefined },
      psi: undefined,
    },
    cpuset: {},
    memory: { cache: undefined, usage: entry(), swap: entry(), kernel: entry(), kernelTCP: entry(), raw: undefined, psi: undefined },
    pids: { current: undefined, limit: undefined },
    blkio: {},
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** Go's `omitempty` for counters: runc leaves zero values out of the JSON. */
export function nz(v: bigint): bigint | undefined {
  return v === 0n ? undefined : v;
}

/** Go's `omitempty` for lists. */
export function ne<T>(v: T[]): T[] | undefined {
  return v.length === 0 ? undefined : v;
}

/** JSON with bigints written as exact numbers. */
export function eventsJson(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(eventsJson).join(',')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) if (v !== undefined) parts.push(`${JSON.stringify(k)}:${eventsJson(v)}`);
  return `{${parts.join(',')}}`;
}

/** Parses a PSI file ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0"). */
export function parsePsi(text: string | undefined): PSIStats | undefined {
  if (text === undefined) return undefined;
  const zero = (): PSIData => ({ avg10: 0, avg60: 0, avg300: 0, total: 0n });
  const out: PSIStats = { some: zero(), full: zero() };
  for (const line of text.split('\n')) {
    const [kind, ...fields] = line.trim().split(/\s+/);
    if (kind !== 'some' && kind !== 'full') continue;
    const d = out[kind];
    for (const f of fields) {
      const [k, v = ''] = f.split('=');
      if (k === 'avg10' || k === 'avg60' || k === 'avg300') d[k] = Number(v);
      else if (k === 'total' && /^\d+$/.test(v)) d.total = BigInt(v);
    }
  }
  return out;
}
