import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError } from '../errors';
import { parseU64, readKeyValues, readKnobIfExists, readU64 } from '../fs';
import { BlkioEntry, CgroupStats, CpusetStats, MemoryEntry, emptyStats, ne, nz } from '../stats';

/** USER_HZ: cpuacct.stat counts in clock ticks (100 on every Linux ABI berth supports). */
const CLK_TCK = 100n;
const NS_PER_TICK = 1_000_000_000n / CLK_TCK;

/** Reads the stats runc reports from v1 controllers; `dirs` maps controller to directory. */
export function statsV1(dirs: ReadonlyMap<string, string>): CgroupStats {
  const st = emptyStats();
  const cpuacct = dirs.get('cpuacct');
  if (cpuacct !== undefined) {
    const u = st.cpu.usage;
    u.total = nz(readU64(cpuacct, 'cpuacct.usage'));
    u.percpu = ne(numbers(readKnobIfExists(cpuacct, 'cpuacct.usage_percpu')));
    const stat = readKeyValues(cpuacct, 'cpuacct.stat');
    u.user = (stat.get('user') ?? 0n) * NS_PER_TICK;
    u.kernel = (stat.get('system') ?? 0n) * NS_PER_TICK;
    const all = readKnobIfExists(cpuacct, 'cpuacct.usage_all');
    if (all !== undefined) {
      // "cpu user system" per line after a header.
      const rows = all.split('\n').slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/).map((x) => parseU64(x, 'cpuacct.usage_all')));
      u.percpu_user = ne(rows.map((r) => r[1] ?? 0n));
      u.percpu_kernel = ne(rows.map((r) => r[2] ?? 0n));
    }
  }
  const cpuset = dirs.get('cpuset');
  if (cpuset !== undefined) st.cpuset = cpusetStats(cpuset);
  const cpu = dirs.get('cpu');
  if (cpu !== undefined) {
    const s = readKeyValues(cpu, 'cpu.stat');
    st.cpu.throttling = {
      periods: nz(s.get('nr_periods') ?? 0n),
      throttledPeriods: nz(s.get('nr_throttled') ?? 0n),
      throttledTime: nz(s.get('throttled_time') ?? 0n),
    };
  }
  const mem = dirs.get('memory');
  if (mem !== undefined) {
    const raw = readKeyValues(mem, 'memory.stat');
    st.memory.raw = raw.size === 0 ? undefined : Object.fromEntries(raw);
    st.memory.cache = nz(raw.get('cache') ?? 0n);
    st.memory.usage = memoryEntry(mem, 'memory');
    st.memory.swap = memoryEntry(mem, 'memory.memsw');
    st.memory.kernel = memoryEntry(mem, 'memory.kmem');
    st.memory.kernelTCP = memoryEntry(mem, 'memory.kmem.tcp');
  }
  const pids = dirs.get('pids');
  if (pids !== undefined) {
    st.pids.current = nz(readU64(pids, 'pids.current'));
    const max = readKnobIfExists(pids, 'pids.max');
    // "max" is reported as 0 (no limit), as runc does.
    st.pids.limit = max === undefined || max === 'max' ? undefined : nz(parseU64(max, path.join(pids, 'pids.max')));
  }
  const blkio = dirs.get('blkio');
  if (blkio !== undefined) statBlkio(blkio, st);
  const hugetlb = dirs.get('hugetlb');
  if (hugetlb !== undefined) {
    for (const size of hugetlbSizes(hugetlb, '.limit_in_bytes')) {
      st.hugetlb[size] = {
        usage: nz(readU64(hugetlb, `hugetlb.${size}.usage_in_bytes`)),
        max: nz(readU64(hugetlb, `hugetlb.${size}.max_usage_in_bytes`)),
        failcnt: readU64(hugetlb, `hugetlb.${size}.failcnt`),
      };
    }
  }
  return st;
}

function memoryEntry(dir: string, prefix: string): MemoryEntry {
  if (readKnobIfExists(dir, `${prefix}.usage_in_bytes`) === undefined) return { limit: 0n, failcnt: 0n };
  return {
    limit: readU64(dir, `${prefix}.limit_in_bytes`),
    usage: nz(readU64(dir, `${prefix}.usage_in_bytes`)),
    max: nz(readU64(dir, `${prefix}.max_usage_in_bytes`)),
    failcnt: readU64(dir, `${prefix}.failcnt`),
  };
}

function statBlkio(dir: string, st: CgroupStats): void {
  // CFQ files when present, else BFQ's, else the throttle counters (runc's order).
  const prefix = fs.existsSync(path.join(dir, 'blkio.io_serviced_recursive'))
    ? 'blkio.'
    : fs.existsSync(path.join(dir, 'blkio.bfq.io_serviced_recursive'))
      ? 'blkio.bfq.'
      : 'blkio.throttle.';
  st.blkio.ioServiceBytesRecursive = ne(blkioEntries(dir, `${prefix}io_service_bytes_recursive`));
  st.blkio.ioServicedRecursive = ne(blkioEntries(dir, `${prefix}io_serviced_recursive`));
  if (prefix === 'blkio.') {
    st.blkio.ioQueueRecursive = ne(blkioEntries(dir, 'blkio.io_queued_recursive'));
    st.blkio.ioServiceTimeRecursive = ne(blkioEntries(dir, 'blkio.io_service_time_recursive'));
    st.blkio.ioWaitTimeRecursive = ne(blkioEntries(dir, 'blkio.io_wait_time_recursive'));
    st.blkio.ioMergedRecursive = ne(blkioEntries(dir, 'blkio.io_merged_recursive'));
    st.blkio.ioTimeRecursive = ne(blkioEntries(dir, 'blkio.time_recursive'));
    st.blkio.sectorsRecursive = ne(blkioEntries(dir, 'blkio.sectors_recursive'));
  }
}

/** Lines "8:0 Read 4096" or "8:0 4096"; the "Total N" line is skipped. */
export function blkioEntries(dir: string, file: string): BlkioEntry[] {
  const text = readKnobIfExists(dir, file);
  if (text === undefined) return [];
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(/[\s:]+/).filter(Boolean);
    if (f.length === 0 || (f.length === 2 && f[0] === 'Total')) continue;
    if (f.length < 3 || f.length > 4) throw new CgroupError(`malformed line ${JSON.stringify(line)} in ${path.join(dir, file)}`);
    const where = path.join(dir, file);
    const value = parseU64(f[f.length - 1] as string, where);
    out.push({
      major: nz(parseU64(f[0] as string, where)),
      minor: nz(parseU64(f[1] as string, where)),
      op: f.length === 4 ? f[2] : undefined,
      value: nz(value),
    });
  }
  return out;
}

/** Page sizes that have a hugetlb.<size><suffix> file in `dir`. */
export function hugetlbSizes(dir: string, suffix: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const re = new RegExp(`^hugetlb\\.([0-9]+[KMGTP]?B)${suffix.replace(/\./g, '\\.')}$`);
  return names.flatMap((n) => {
    const m = re.exec(n);
    return m === null ? [] : [m[1] as string];
  });
}

function numbers(text: string | undefined): bigint[] {
  return (text ?? '').split(/\s+/).filter(Boolean).map((x) => parseU64(x, 'cpuacct.usage_percpu'));
}

/** cpuset.* as runc reports them: the lists expanded ("0-2" -> [0,1,2]), the flags as numbers, in runc's field order. */
function cpusetStats(dir: string): CpusetStats {
  const n = (file: string): bigint | undefined => {
    const v = readKnobIfExists(dir, file);
    if (v === undefined) return undefined;
    return /^-\d+$/.test(v) ? BigInt(v) : parseU64(v, path.join(dir, file));
  };
  return {
    cpus: ne(expandList(readKnobIfExists(dir, 'cpuset.cpus') ?? '')),
    cpu_exclusive: n('cpuset.cpu_exclusive'),
    mems: ne(expandList(readKnobIfExists(dir, 'cpuset.mems') ?? '')),
    mem_hardwall: n('cpuset.mem_hardwall'),
    mem_exclusive: n('cpuset.mem_exclusive'),
    memory_migrate: n('cpuset.memory_migrate'),
    memory_spread_page: n('cpuset.memory_spread_page'),
    memory_spread_slab: n('cpuset.memory_spread_slab'),
    memory_pressure: n('cpuset.memory_pressure'),
    sched_load_balance: n('cpuset.sched_load_balance'),
    sched_relax_domain_level: n('cpuset.sched_relax_domain_level'),
  };
}

/** "0-2,4" -> [0, 1, 2, 4]. */
export function expandList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [a, b = a] = part.split('-').map(Number) as [number, number?];
    for (let i = a; i <= (b as number); i++) out.push(i);
  }
  return out;
}
