import { createCgroupManager, eventsJson, resourcesFromOci, CgroupManager } from '../../src/cgroups';
import type { RuntimeTypes } from '@berth/spec';
import { FakeTree } from './fake-tree';

/*
 * The v1 knob writes, against a cgroupfs-shaped temp tree: which files, which
 * values, in which order (runc's libcontainer/cgroups/fs behaviour).
 */

const CONTROLLERS = ['cpu,cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb', 'net_cls,net_prio', 'rdma', 'systemd'];

let t: FakeTree;
let m: CgroupManager;

function setup(files: Partial<Record<string, Record<string, string>>> = {}): void {
  for (const c of CONTROLLERS) t.seed(c, c === 'cpuset' ? { 'cpuset.cpus': '0-1', 'cpuset.mems': '0' } : {});
  t.seed('cpuset/berth', { 'cpuset.cpus': '', 'cpuset.mems': '' });
  t.seed('cpuset/berth/c1', { 'cpuset.cpus': '', 'cpuset.mems': '' });
  for (const [c, f] of Object.entries(files)) t.seed(`${c}/berth/c1`, f ?? {});
  m = createCgroupManager({ id: 'c1', root: t.root });
  m.create();
  t.writes();
}

const set = (r: RuntimeTypes.LinuxResources) => m.set(resourcesFromOci(r).resources);

beforeEach(() => {
  t = FakeTree.create();
});
afterEach(() => t.remove());

test('detects every v1 hierarchy of the tree, co-mounted ones sharing a directory', () => {
  setup();
  const p = m.paths();
  expect(m.mode).toBe('v1');
  expect(p.cpu).toBe(`${t.root}/cpu,cpuacct/berth/c1`);
  expect(p.cpuacct).toBe(p.cpu);
  expect(p['name=systemd']).toBe(`${t.root}/systemd/berth/c1`);
  expect(p['']).toBeUndefined();
});

test('create copies cpuset.cpus and cpuset.mems down from the parent at each level', () => {
  t.remove();
  t = FakeTree.create();
  for (const c of CONTROLLERS) t.seed(c, c === 'cpuset' ? { 'cpuset.cpus': '0-1', 'cpuset.mems': '0' } : {});
  t.seed('cpuset/berth', { 'cpuset.cpus': '', 'cpuset.mems': '' });
  t.seed('cpuset/berth/c1', { 'cpuset.cpus': '', 'cpuset.mems': '' });
  createCgroupManager({ id: 'c1', root: t.root }).create();
  expect(t.writes()).toEqual([
    'cpuset/berth/cpuset.cpus=0-1', 'cpuset/berth/cpuset.mems=0',
    'cpuset/berth/c1/cpuset.cpus=0-1', 'cpuset/berth/c1/cpuset.mems=0',
  ]);
});

test('memory: limit before memsw when the new memory+swap is below the current limit', () => {
  setup({ memory: { 'memory.limit_in_bytes': '9223372036854771712', 'memory.memsw.limit_in_bytes': '', 'memory.soft_limit_in_bytes': '', 'memory.oom_control': '', 'memory.swappiness': '' } });
  set({ memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20, swappiness: 10, disableOOMKiller: true } });
  expect(t.writes()).toEqual([
    `memory/berth/c1/memory.limit_in_bytes=${64 << 20}`,
    `memory/berth/c1/memory.memsw.limit_in_bytes=${128 << 20}`,
    `memory/berth/c1/memory.soft_limit_in_bytes=${32 << 20}`,
    'memory/berth/c1/memory.oom_control=1',
    'memory/berth/c1/memory.swappiness=10',
  ]);
});

test('memory: memsw before the limit when raising both above the current limit, and -1 means unlimited swap too', () => {
  setup({ memory: { 'memory.limit_in_bytes': String(64 << 20), 'memory.memsw.limit_in_bytes': '' } });
  set({ memory: { limit: 256 << 20, swap: 512 << 20 } });
  expect(t.writes()).toEqual([`memory/berth/c1/memory.memsw.limit_in_bytes=${512 << 20}`, `memory/berth/c1/memory.limit_in_bytes=${256 << 20}`]);
  set({ memory: { limit: -1 } });
  expect(t.writes()).toEqual(['memory/berth/c1/memory.memsw.limit_in_bytes=-1', 'memory/berth/c1/memory.limit_in_bytes=-1']);
});

test('memory: swappiness above 100 and checkBeforeUpdate below usage are refused by field', () => {
  setup({ memory: { 'memory.limit_in_bytes': '1', 'memory.usage_in_bytes': String(50 << 20) } });
  expect(() => set({ memory: { swappiness: 101 } })).toThrow(/linux\.resources\.memory\.swappiness: invalid value 101/);
  expect(() => set({ memory: { limit: 10 << 20, checkBeforeUpdate: true } })).toThrow(/rejecting memory limit 10485760 below usage 52428800/);
  expect(t.writes()).toEqual([]);
});

test('cpu: shares read back, period, burst, quota, idle and the realtime pair in runc order', () => {
  const knobs = ['cpu.shares', 'cpu.cfs_period_us', 'cpu.cfs_quota_us', 'cpu.cfs_burst_us', 'cpu.idle', 'cpu.rt_period_us', 'cpu.rt_runtime_us'];
  setup({ 'cpu,cpuacct': Object.fromEntries(knobs.map((k) => [k, ''])) });
  set({ cpu: { shares: 512, quota: 50000, period: 100000, burst: 1000, idle: 1, realtimePeriod: 1000000, realtimeRuntime: 950000 } });
  expect(t.writes()).toEqual([
    'cpu,cpuacct/berth/c1/cpu.shares=512',
    'cpu,cpuacct/berth/c1/cpu.cfs_period_us=100000',
    'cpu,cpuacct/berth/c1/cpu.cfs_burst_us=1000',
    'cpu,cpuacct/berth/c1/cpu.cfs_quota_us=50000',
    'cpu,cpuacct/berth/c1/cpu.idle=1',
    'cpu,cpuacct/berth/c1/cpu.rt_period_us=1000000',
    'cpu,cpuacct/berth/c1/cpu.rt_runtime_us=950000',
  ]);
});

test('cpuset, pids (negative is max), net_cls, net_prio and rdma', () => {
  setup({
    cpuset: { 'cpuset.cpus': '0-1', 'cpuset.mems': '0' },
    pids: { 'pids.max': 'max' },
    'net_cls,net_prio': { 'net_cls.classid': '', 'net_prio.ifpriomap': '' },
    rdma: { 'rdma.max': '' },
  });
  set({
    cpu: { cpus: '1', mems: '0' },
    pids: { limit: 10 },
    network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }, { name: 'lo', priority: 2 }] },
    rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
  });
  expect(t.writes()).toEqual([
    'cpuset/berth/c1/cpuset.cpus=1',
    'cpuset/berth/c1/cpuset.mems=0',
    'pids/berth/c1/pids.max=10',
    `net_cls,net_prio/berth/c1/net_cls.classid=${0x100001}`,
    'net_cls,net_prio/berth/c1/net_prio.ifpriomap=eth0 5',
    'net_cls,net_prio/berth/c1/net_prio.ifpriomap=lo 2',
    'rdma/berth/c1/rdma.max=mlx5_1 hca_handle=3 hca_object=10000',
  ]);
  set({ pids: { limit: -1 } });
  expect(t.writes()).toEqual(['pids/berth/c1/pids.max=max']);
});

test('blkio: BFQ weight files when CFQ is gone, leaf weights, and the four throttles', () => {
  const knobs = ['blkio.bfq.weight', 'blkio.bfq.weight_device', 'blkio.leaf_weight', 'blkio.leaf_weight_device',
    'blkio.throttle.read_bps_device', 'blkio.throttle.write_bps_device', 'blkio.throttle.read_iops_device', 'blkio.throttle.write_iops_device'];
  setup({ blkio: Object.fromEntries(knobs.map((k) => [k, ''])) });
  set({
    blockIO: {
      weight: 300, leafWeight: 200,
      weightDevice: [{ major: 8, minor: 0, weight: 500, leafWeight: 400 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 16, rate: 2097152 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
    },
  });
  expect(t.writes()).toEqual([
    'blkio/berth/c1/blkio.bfq.weight=300',
    'blkio/berth/c1/blkio.leaf_weight=200',
    'blkio/berth/c1/blkio.bfq.weight_device=8:0 500',
    'blkio/berth/c1/blkio.leaf_weight_device=8:0 400',
    'blkio/berth/c1/blkio.throttle.read_bps_device=8:0 1048576',
    'blkio/berth/c1/blkio.throttle.write_bps_device=8:16 2097152',
    'blkio/berth/c1/blkio.throttle.read_iops_device=8:0 100',
    'blkio/berth/c1/blkio.throttle.write_iops_device=8:0 200',
  ]);
  expect(() => set({ blockIO: { weight: 5 } })).toThrow(/blockIO\.weight: blkio weight 5 is out of range 10-1000/);
});

test('hugetlb: the limit and its rsvd twin; an unknown page size is refused', () => {
  setup({ hugetlb: { 'hugetlb.2MB.limit_in_bytes': '', 'hugetlb.2MB.rsvd.limit_in_bytes': '' } });
  set({ hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }] });
  expect(t.writes()).toEqual([`hugetlb/berth/c1/hugetlb.2MB.limit_in_bytes=${4 << 20}`, `hugetlb/berth/c1/hugetlb.2MB.rsvd.limit_in_bytes=${4 << 20}`]);
  expect(() => set({ hugepageLimits: [{ pageSize: '1GB', limit: 1 }] })).toThrow(/hugepageLimits: page size 1GB is not supported/);
});

test('devices: from allow-all, deny everything then write the allows, sorted by (major, minor, type) as runc does', () => {
  setup({ devices: { 'devices.list': 'a *:* rwm\n', 'devices.allow': '', 'devices.deny': '' } });
  set({
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'rw' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'b', major: 8, access: 'm' },
    ],
  });
  expect(t.writes()).toEqual([
    'devices/berth/c1/devices.deny=a *:* rwm',
    'devices/berth/c1/devices.allow=c 1:3 rwm',
    'devices/berth/c1/devices.allow=c 1:5 rw',
    'devices/berth/c1/devices.allow=b 8:* m',
  ]);
});

test('devices: from an allow list, only the differences are written', () => {
  setup({ devices: { 'devices.list': 'c 1:3 rwm\nc 1:5 rwm\n', 'devices.allow': '', 'devices.deny': '' } });
  set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'r' }, { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }] });
  expect(t.writes()).toEqual(['devices/berth/c1/devices.deny=c 1:5 wm', 'devices/berth/c1/devices.allow=c 1:9 rwm']);
});

test('devices: punching a hole in a wildcard rule is refused', () => {
  setup({ devices: { 'devices.list': 'a *:* rwm\n' } });
  expect(() => set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'r' }] }))
    .toThrow(/cannot punch hole|punch a hole in the wildcard rule c 1:\* rwm/);
});

test('unified is refused on v1, and a missing controller is named by field', () => {
  setup();
  expect(() => set({ unified: { 'memory.high': '1' } })).toThrow(expect.objectContaining({ code: 'ERR_BERTH_CGROUP_UNSUPPORTED', message: expect.stringMatching(/linux\.resources\.unified: cannot be used on a cgroup v1 host/) }));
  t.remove();
  t = FakeTree.create();
  t.seed('memory', {});
  const m2 = createCgroupManager({ id: 'c2', root: t.root });
  m2.create();
  expect(() => m2.set(resourcesFromOci({ pids: { limit: 5 } }).resources)).toThrow(/linux\.resources\.pids: the pids cgroup controller is not mounted/);
});

test('stats: runc events --stats shape from v1 counters', () => {
  setup({
    'cpu,cpuacct': {
      'cpuacct.usage': '5000000', 'cpuacct.usage_percpu': '3000000 2000000 ', 'cpuacct.stat': 'user 3\nsystem 1\n',
      'cpuacct.usage_all': 'cpu user system\n0 2000000 1000000\n1 1500000 500000\n', 'cpu.stat': 'nr_periods 10\nnr_throttled 2\nthrottled_time 777\n',
    },
    memory: {
      'memory.stat': 'cache 4096\nrss 8192\n', 'memory.usage_in_bytes': '12288', 'memory.max_usage_in_bytes': '20480', 'memory.limit_in_bytes': '9223372036854771712',
      'memory.failcnt': '0', 'memory.memsw.usage_in_bytes': '12288', 'memory.memsw.max_usage_in_bytes': '20480', 'memory.memsw.limit_in_bytes': '9223372036854771712',
      'memory.memsw.failcnt': '0', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n',
    },
    pids: { 'pids.current': '2', 'pids.max': 'max' },
    blkio: { 'blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 0\nTotal 4096\n', 'blkio.throttle.io_serviced_recursive': '8:0 Read 1\nTotal 1\n' },
    hugetlb: { 'hugetlb.2MB.limit_in_bytes': '', 'hugetlb.2MB.usage_in_bytes': '0', 'hugetlb.2MB.max_usage_in_bytes': '0', 'hugetlb.2MB.failcnt': '1' },
  });
  const json = JSON.parse(eventsJson(m.stats()));
  expect(json).toEqual({
    cpu: {
      usage: { total: 5000000, percpu: [3000000, 2000000], percpu_kernel: [1000000, 500000], percpu_user: [2000000, 1500000], kernel: 10000000, user: 30000000 },
      throttling: { periods: 10, throttledPeriods: 2, throttledTime: 777 },
    },
    cpuset: { cpus: [0, 1], mems: [0] },
    memory: {
      cache: 4096,
      usage: { limit: 9223372036854771712, usage: 12288, max: 20480, failcnt: 0 },
      swap: { limit: 9223372036854771712, usage: 12288, max: 20480, failcnt: 0 },
      kernel: { limit: 0, failcnt: 0 },
      kernelTCP: { limit: 0, failcnt: 0 },
      raw: { cache: 4096, rss: 8192 },
    },
    pids: { current: 2 },
    blkio: {
      ioServiceBytesRecursive: [{ major: 8, op: 'Read', value: 4096 }, { major: 8, op: 'Write' }],
      ioServicedRecursive: [{ major: 8, op: 'Read', value: 1 }],
    },
    hugetlb: { '2MB': { failcnt: 1 } },
    intel_rdt: {},
    network_interfaces: null,
  });
  expect(eventsJson(m.stats())).toContain('"limit":9223372036854771712');
  expect(m.oomKillCount()).toBe(3n);
});

test('freezer state is read from freezer.state', () => {
  setup({ freezer: { 'freezer.state': 'FROZEN\n' } });
  expect(m.freezerState()).toBe('FROZEN');
});
