import { createCgroupManager, eventsJson, resourcesFromOci, sharesToWeight, CgroupManager, DeviceFilterProgram } from '../../src/cgroups';
import type { RuntimeTypes } from '@berth/spec';
import { FakeTree } from './fake-tree';

/*
 * The v2 knob writes, against a cgroupfs-shaped temp tree (runc's
 * libcontainer/cgroups/fs2 behaviour, v1 values converted).
 */

const ALL = 'cpuset cpu io memory hugetlb pids rdma misc';
const LEAF = [
  'cgroup.procs', 'cgroup.freeze', 'cgroup.kill', 'pids.max', 'memory.max', 'memory.low', 'memory.swap.max', 'io.weight', 'io.max',
  'cpu.weight', 'cpu.max', 'cpu.max.burst', 'cpu.idle', 'cpuset.cpus', 'cpuset.mems', 'hugetlb.2MB.max', 'hugetlb.2MB.rsvd.max', 'rdma.max',
  'memory.high', 'memory.oom.group',
];

let t: FakeTree;
let m: CgroupManager;
let attached: { dir: string; program: DeviceFilterProgram }[];

function setup(extra: Record<string, string> = {}): void {
  t.seed('', { 'cgroup.controllers': ALL, 'cgroup.subtree_control': '' });
  t.seed('berth', { 'cgroup.controllers': ALL, 'cgroup.subtree_control': '' });
  t.seed('berth/c1', { 'cgroup.controllers': ALL, ...Object.fromEntries(LEAF.map((f) => [f, ''])), 'cpu.max': 'max 100000', ...extra });
  attached = [];
  m = createCgroupManager({ id: 'c1', root: t.root, deviceFilter: { attach: (dir, program) => attached.push({ dir, program }) } });
}

const set = (r: RuntimeTypes.LinuxResources) => m.set(resourcesFromOci(r).resources);

beforeEach(() => {
  t = FakeTree.create();
});
afterEach(() => t.remove());

test('create enables all available controllers in each ancestor, not in the leaf', () => {
  setup();
  expect(m.mode).toBe('v2');
  expect(m.paths()).toEqual({ '': `${t.root}/berth/c1` });
  m.create();
  const plus = ALL.split(' ').map((c) => `+${c}`).join(' ');
  expect(t.writes()).toEqual([`cgroup.subtree_control=${plus}`, `berth/cgroup.subtree_control=${plus}`]);
});

test('memory: swap is written as swap-only (memory+swap minus memory), then memory.max and memory.low', () => {
  setup();
  set({ memory: { limit: 100 << 20, swap: 300 << 20, reservation: 50 << 20 } });
  expect(t.writes()).toEqual([`berth/c1/memory.swap.max=${200 << 20}`, `berth/c1/memory.max=${100 << 20}`, `berth/c1/memory.low=${50 << 20}`]);
  set({ memory: { limit: 64 << 20, swap: 64 << 20 } });
  expect(t.writes()).toEqual(['berth/c1/memory.swap.max=0', `berth/c1/memory.max=${64 << 20}`]);
  set({ memory: { limit: -1 } });
  expect(t.writes()).toEqual(['berth/c1/memory.swap.max=max', 'berth/c1/memory.max=max']);
  expect(() => set({ memory: { limit: 100, swap: 50 } })).toThrow(/memory\+swap limit \(50\) should be >= memory limit \(100\)/);
  expect(() => set({ memory: { swap: 50 } })).toThrow(/unable to set swap limit without memory limit/);
});

test('cpu: shares become cpu.weight by runc\'s formula; quota/period become cpu.max; a period alone keeps the quota', () => {
  setup();
  expect([2, 1024, 262144, 512, 0].map(sharesToWeight)).toEqual([1, 100, 10000, 59, 0]);
  set({ cpu: { shares: 1024, quota: 50000, period: 100000, idle: 0, burst: 2000 } });
  expect(t.writes()).toEqual(['berth/c1/cpu.idle=0', 'berth/c1/cpu.weight=100', 'berth/c1/cpu.max.burst=2000', 'berth/c1/cpu.max=50000 100000']);
  set({ cpu: { period: 200000 } });
  expect(t.writes()).toEqual(['berth/c1/cpu.max=50000 200000']);
  set({ cpu: { quota: -1 } });
  expect(t.writes()).toEqual(['berth/c1/cpu.max=max']);
});

test('io: weight converted to io.weight without BFQ, io.bfq.weight as is with it; throttles to io.max', () => {
  setup();
  set({
    blockIO: {
      weight: 500,
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 200 }],
    },
  });
  expect(t.writes()).toEqual([
    'berth/c1/io.weight=4950',
    'berth/c1/io.max=8:0 rbps=1048576',
    'berth/c1/io.max=8:0 wbps=2097152',
    'berth/c1/io.max=8:0 riops=100',
    'berth/c1/io.max=8:16 wiops=200',
  ]);
  t.seed('berth/c1', { 'io.bfq.weight': 'default 100\n' });
  set({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 300 }] } });
  expect(t.writes()).toEqual(['berth/c1/io.bfq.weight=500', 'berth/c1/io.bfq.weight=8:0 300']);
});

test('pids, cpuset, hugetlb (max and rsvd.max) and rdma', () => {
  setup();
  set({
    pids: { limit: 32 },
    cpu: { cpus: '0-1', mems: '0' },
    hugepageLimits: [{ pageSize: '2MB', limit: 8 << 20 }],
    rdma: { mlx4_0: { hcaHandles: 2 } },
  });
  expect(t.writes()).toEqual([
    'berth/c1/pids.max=32',
    'berth/c1/cpuset.cpus=0-1',
    'berth/c1/cpuset.mems=0',
    `berth/c1/hugetlb.2MB.max=${8 << 20}`,
    `berth/c1/hugetlb.2MB.rsvd.max=${8 << 20}`,
    'berth/c1/rdma.max=mlx4_0 hca_handle=2',
  ]);
});

test('unified: written last, one write per line; slashes and unknown controllers refused', () => {
  setup();
  set({ pids: { limit: 5 }, unified: { 'memory.high': '1048576', 'io.max': '8:0 rbps=1\n8:16 wbps=2' } });
  expect(t.writes()).toEqual(['berth/c1/pids.max=5', 'berth/c1/memory.high=1048576', 'berth/c1/io.max=8:0 rbps=1', 'berth/c1/io.max=8:16 wbps=2']);
  expect(() => set({ unified: { '../cgroup.procs': '1' } })).toThrow(/must be a file name \(no slashes\)/);
  expect(() => set({ unified: { 'nosuch.knob': '1' } })).toThrow(/"nosuch.knob" can't be set: controller "nosuch" not available/);
});

test('v1-only settings are refused by field name instead of dropped', () => {
  setup();
  expect(() => set({ memory: { swappiness: 10 }, network: { classID: 1 } })).toThrow(
    expect.objectContaining({ code: 'ERR_BERTH_CGROUP_UNSUPPORTED', message: 'linux.resources.memory.swappiness, linux.resources.network.classID: not supported on cgroup v2 (a cgroup v1 feature)' }),
  );
  expect(() => set({ cpu: { realtimeRuntime: 1000 } })).toThrow(/linux\.resources\.cpu\.realtimeRuntime/);
  t.seed('berth/c1', { 'cgroup.controllers': 'cpu memory' });
  expect(() => set({ pids: { limit: 3 } })).toThrow(/linux\.resources\.pids: the pids controller is not enabled/);
});

test('devices: the eBPF program goes to the attacher; without one the field is refused', () => {
  setup();
  set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
  expect(attached).toHaveLength(1);
  expect(attached[0]?.dir).toBe(`${t.root}/berth/c1`);
  expect(attached[0]?.program.bytes.length).toBe(attached[0]!.program.insns.length * 8);
  const bare = createCgroupManager({ id: 'c1', root: t.root });
  expect(() => bare.set(resourcesFromOci({ devices: [{ allow: false, access: 'rwm' }] }).resources)).toThrow(/linux\.resources\.devices: on cgroup v2 device rules are an eBPF program/);
});

test('stats, OOM kills and freezer state from v2 files', () => {
  setup({
    'pids.current': '3', 'pids.max': '20',
    'memory.stat': 'anon 8192\nfile 4096\n', 'memory.current': '12288', 'memory.max': 'max', 'memory.peak': '16384',
    'memory.events': 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n', 'memory.swap.current': '0', 'memory.swap.max': 'max',
    'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n',
    'cpu.pressure': 'some avg10=0.50 avg60=0.10 avg300=0.00 total=1234\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
    'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n',
    'hugetlb.2MB.current': '0', 'hugetlb.2MB.events': 'max 0\n',
    'cgroup.freeze': '1', 'cgroup.events': 'populated 1\nfrozen 1\n',
  });
  const json = JSON.parse(eventsJson(m.stats()));
  expect(json.pids).toEqual({ current: 3, limit: 20 });
  expect(json.memory.usage).toEqual({ limit: 18446744073709552000, usage: 12288, max: 16384, failcnt: 4 });
  expect(eventsJson(m.stats())).toContain('"usage":{"limit":18446744073709551615,"usage":12288,"max":16384,"failcnt":4}');
  expect(json.memory.cache).toBe(4096);
  expect(json.cpu.usage).toEqual({ total: 1500000, user: 1000000, kernel: 500000 });
  expect(json.cpu.psi.some).toEqual({ avg10: 0.5, avg60: 0.1, avg300: 0, total: 1234 });
  expect(json.blkio.ioServiceBytesRecursive).toEqual([{ major: 8, op: 'Read', value: 4096 }, { major: 8, op: 'Write', value: 8192 }]);
  expect(json.blkio.ioServicedRecursive).toEqual([{ major: 8, op: 'Read', value: 1 }, { major: 8, op: 'Write', value: 2 }]);
  expect(json.hugetlb).toEqual({ '2MB': { failcnt: 0 } });
  expect(m.oomKillCount()).toBe(1n);
  expect(m.freezerState()).toBe('FROZEN');
});
