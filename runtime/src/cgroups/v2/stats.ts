import * as path from 'node:path';
import { CgroupError } from '../errors';
import { U64_MAX, parseU64, readKeyValues, readKnobIfExists, readU64 } from '../fs';
import { BlkioEntry, CgroupStats, MemoryEntry, emptyStats, ne, nz, parsePsi } from '../stats';
import { hugetlbSizes } from '../v1/stats';

/** Reads a v2 cgroup's counters into runc's `events --stats` shape (runc's fs2 stat* functions). */
export function statsV2(dir: string): CgroupStats {
  const st = emptyStats();
  // pids
  st.pids.current = nz(readU64(dir, 'pids.current'));
  const pmax = readKnobIfExists(dir, 'pids.max');
  st.pids.limit = pmax === undefined || pmax === 'max' ? undefined : nz(parseU64(pmax, path.join(dir, 'pids.max')));
  // memory
  const raw = readKeyValues(dir, 'memory.stat');
  if (raw.size > 0) {
    st.memory.raw = Object.fromEntries(raw);
    st.memory.cache = nz(raw.get('file') ?? 0n);
  }
  if (readKnobIfExists(dir, 'memory.current') !== undefined) {
    const usage = memoryData(dir, 'memory');
    st.memory.usage = usage;
    // v1 reported swap as memory+swap; runc keeps that meaning on v2.
    const swap = memoryData(dir, 'memory.swap');
    st.memory.swap = {
      limit: swap.limit === U64_MAX || usage.limit === U64_MAX ? U64_MAX : swap.limit + usage.limit,
      usage: nz((swap.usage ?? 0n) + (usage.usage ?? 0n)),
      failcnt: swap.failcnt,
    };
  }
  st.memory.psi = parsePsi(readKnobIfExists(dir, 'memory.pressure'));
  // cpu
  const cpu = readKeyValues(dir, 'cpu.stat');
  st.cpu.usage.total = nz((cpu.get('usage_usec') ?? 0n) * 1000n);
  st.cpu.usage.kernel = (cpu.get('system_usec') ?? 0n) * 1000n;
  st.cpu.usage.user = (cpu.get('user_usec') ?? 0n) * 1000n;
  st.cpu.throttling = {
    periods: nz(cpu.get('nr_periods') ?? 0n),
    throttledPeriods: nz(cpu.get('nr_throttled') ?? 0n),
    throttledTime: nz((cpu.get('throttled_usec') ?? 0n) * 1000n),
  };
  st.cpu.psi = parsePsi(readKnobIfExists(dir, 'cpu.pressure'));
  // io
  const io = ioStat(dir);
  st.blkio.ioServiceBytesRecursive = ne(io.bytes);
  st.blkio.ioServicedRecursive = ne(io.ios);
  st.blkio.psi = parsePsi(readKnobIfExists(dir, 'io.pressure'));
  // hugetlb: v2 has no max usage; "max" events count allocation failures.
  for (const size of hugetlbSizes(dir, '.max')) {
    const events = readKeyValues(dir, `hugetlb.${size}.events`);
    st.hugetlb[size] = { usage: nz(readU64(dir, `hugetlb.${size}.current`)), failcnt: events.get('max') ?? 0n };
  }
  return st;
}

function memoryData(dir: string, prefix: string): MemoryEntry {
  const current = readKnobIfExists(dir, `${prefix}.current`);
  if (current === undefined) return { limit: 0n, failcnt: 0n };
  const max = readKnobIfExists(dir, `${prefix}.max`);
  const peak = readKnobIfExists(dir, `${prefix}.peak`);
  const events = readKeyValues(dir, `${prefix}.events`);
  return {
    limit: max === undefined ? U64_MAX : parseU64(max, path.join(dir, `${prefix}.max`)),
    usage: nz(parseU64(current, path.join(dir, `${prefix}.current`))),
    max: peak === undefined ? undefined : nz(parseU64(peak, path.join(dir, `${prefix}.peak`))),
    failcnt: events.get('max') ?? 0n,
  };
}

/** io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0". */
function ioStat(dir: string): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  const text = readKnobIfExists(dir, 'io.stat') ?? '';
  for (const line of text.split('\n')) {
    const [dev, ...fields] = line.trim().split(/\s+/);
    if (dev === undefined || dev === '') continue;
    const m = /^(\d+):(\d+)$/.exec(dev);
    if (m === null) throw new CgroupError(`malformed line ${JSON.stringify(line)} in ${path.join(dir, 'io.stat')}`);
    const major = nz(BigInt(m[1] as string));
    const minor = nz(BigInt(m[2] as string));
    for (const f of fields) {
      const [k, v = ''] = f.split('=');
      const value = /^\d+$/.test(v) ? BigInt(v) : 0n;
      const entry = (op: string): BlkioEntry => ({ major, minor, op, value: nz(value) });
      if (k === 'rbytes') bytes.push(entry('Read'));
      else if (k === 'wbytes') bytes.push(entry('Write'));
      else if (k === 'rios') ios.push(entry('Read'));
      else if (k === 'wios') ios.push(entry('Write'));
    }
  }
  return { bytes, ios };
}
