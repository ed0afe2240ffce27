import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuntimeTypes } from '@berth/spec';
import { Scratch, berth } from './helpers/bundle';
import { MiB, layout, v1ContainerSuite, withResources } from './cgroups/container-helpers';

/*
 * linux.resources enforced on real containers (cgroup v1 controllers, as on
 * the development hosts): the kernel applies the limits, the container sees
 * its own cgroup, and create/delete/run leave no cgroup behind.
 */

type LinuxResources = RuntimeTypes.LinuxResources;

let s: Scratch;
let root: string;
const { describeV1, cg } = v1ContainerSuite('resources', (scratch) => {
  s = scratch;
  root = scratch.stateRoot;
});

describeV1('resources on real containers', () => {
  test('a memory limit OOM-kills a process that exceeds it: run exits 137 and removes the cgroup', async () => {
    const bundle = s.bundle(['sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; exec tail /dev/zero'], (spec) => {
      cg.place(spec, 'oom');
      withResources(spec, { memory: { limit: 24 * MiB } });
    });
    const r = await berth(root, ['run', '--bundle', bundle, 'oom']);
    expect(r.stdout.trim()).toBe(String(24 * MiB)); // the container's own cgroup, seen from inside
    expect(r.code).toBe(137);
    expect(cg.left('oom')).toEqual([]);
    expect(fs.existsSync(path.join(root, 'oom'))).toBe(false);
  });

  test('a pids limit refuses the fork beyond it', async () => {
    const bundle = s.bundle(['sh', '-c', 'cat /sys/fs/cgroup/pids/pids.max; sleep 100 & sleep 100 & echo forked'], (spec) => {
      cg.place(spec, 'pids');
      withResources(spec, { pids: { limit: 2 } });
    });
    const r = await berth(root, ['run', '--bundle', bundle, 'pids']);
    expect(r.stdout).toMatch(/^2\n/);
    // sh is one task and the first sleep the second: the second sleep cannot be forked.
    expect(r.stderr + r.stdout).toMatch(/can't fork|Resource temporarily unavailable/);
    expect(cg.left('pids')).toEqual([]);
  });

  test('cpu shares, quota, period and cpuset land in cgroupfs; delete removes every hierarchy\'s directory', async () => {
    const bundle = s.bundle(['sleep', '1000'], (spec) => {
      cg.place(spec, 'cpu');
      withResources(spec, { cpu: { shares: 512, quota: 25_000, period: 50_000, cpus: '0' }, memory: { limit: 64 * MiB, reservation: 32 * MiB } });
    });
    const pidFile = path.join(s.dir, 'cpu.pid');
    expect((await berth(root, ['create', '--bundle', bundle, '--pid-file', pidFile, 'cpu'])).code).toBe(0);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(cg.read('cpu', 'cpu', 'cpu.shares')).toBe('512');
    expect(cg.read('cpu', 'cpu', 'cpu.cfs_quota_us')).toBe('25000');
    expect(cg.read('cpu', 'cpu', 'cpu.cfs_period_us')).toBe('50000');
    expect(cg.read('cpuset', 'cpu', 'cpuset.cpus')).toBe('0');
    expect(cg.read('memory', 'cpu', 'memory.limit_in_bytes')).toBe(String(64 * MiB));
    expect(cg.read('memory', 'cpu', 'memory.soft_limit_in_bytes')).toBe(String(32 * MiB));
    // The init joined every hierarchy before it ran anything.
    expect(cg.read('pids', 'cpu', 'cgroup.procs').split('\n').map(Number)).toEqual([pid]);
    const own = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    expect(own).toContain(`:memory:${cg.parent}/cpu\n`);
    expect(own).toContain(`:cpu:${cg.parent}/cpu\n`);
    expect(cg.left('cpu').length).toBeGreaterThan(5);
    expect((await berth(root, ['delete', 'cpu'])).code).toBe(0);
    expect(cg.left('cpu')).toEqual([]);
  });

  test('devices: a node the rules deny cannot be opened inside, the default ones can', async () => {
    const bundle = s.bundle(['sh', '-c', 'head -c 1 /dev/kmsg; echo x > /dev/null && echo null-ok'], (spec) => {
      cg.place(spec, 'dev');
      // A bind mount puts the node there; the device cgroup (default deny) still refuses it.
      spec.mounts!.push({ destination: '/dev/kmsg', type: 'bind', source: '/dev/kmsg', options: ['bind'] });
    });
    const r = await berth(root, ['run', '--bundle', bundle, 'dev']);
    expect(r.stderr).toMatch(/\/dev\/kmsg: Operation not permitted/);
    expect(r.stdout).toContain('null-ok');
  });

  test('a limit the host cannot apply fails create naming the field, and leaves nothing behind', async () => {
    const cases: [string, LinuxResources, RegExp][] = [
      ['shares', { cpu: { shares: 10_000_000 } }, /linux\.resources\.cpu\.shares: the maximum allowed cpu-shares is \d+/],
      ['huge', { hugepageLimits: [{ pageSize: '3MB', limit: 1 }] }, /linux\.resources\.hugepageLimits: .*3MB/],
      ['badw', { blockIO: { weight: 5 } }, /linux\.resources\.blockIO\.weight: blkio weight 5 is out of range 10-1000/],
    ];
    if (!layout?.v1.has('rdma')) cases.push(['rdma', { rdma: { mlx5_0: { hcaHandles: 1 } } }, /linux\.resources\.rdma: the rdma cgroup controller is not mounted/]);
    if (!layout?.v1.has('net_cls')) cases.push(['netcls', { network: { classID: 0x100001 } }, /linux\.resources\.network\.classID: the net_cls cgroup controller is not mounted/]);
    if (layout?.mode === 'hybrid') cases.push(['uni', { unified: { 'memory.max': '1000000' } }, /linux\.resources\.unified: .*memory\.max.* can't be set: controller .*memory.* is not in the cgroup v2 hierarchy of this hybrid host/]);
    for (const [id, resources, message] of cases) {
      const bundle = s.bundle(['true'], (spec) => {
        cg.place(spec, id);
        withResources(spec, resources);
      });
      const r = await berth(root, ['create', '--bundle', bundle, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(cg.left(id)).toEqual([]);
      expect(fs.existsSync(path.join(root, id))).toBe(false);
    }
  });

  test('a cgroup that already holds processes is refused and left as it was', async () => {
    const first = s.bundle(['sleep', '1000'], (spec) => cg.place(spec, 'shared'));
    expect((await berth(root, ['run', '-d', '--bundle', first, 'one'])).code).toBe(0);
    const r = await berth(root, ['create', '--bundle', first, 'two']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already has 1 process\(es\) in it; a container needs a cgroup of its own/);
    expect(fs.existsSync(path.join(root, 'two'))).toBe(false);
    expect(cg.read('pids', 'shared', 'cgroup.procs')).toMatch(/^\d+$/);
    expect(JSON.parse((await berth(root, ['state', 'one'])).stdout)).toMatchObject({ status: 'running' });
  });

  test('cgroupsPath: relative to the caller\'s cgroup, default /berth/<id>, and the systemd form refused without systemd', async () => {
    const rel = s.bundle(['sleep', '1000'], (spec) => {
      spec.linux!.cgroupsPath = `${cg.parent.slice(1)}/rel`;
    });
    const pidFile = path.join(s.dir, 'rel.pid');
    expect((await berth(root, ['create', '--bundle', rel, '--pid-file', pidFile, 'rel'])).code).toBe(0);
    const lines = fs.readFileSync(`/proc/${Number(fs.readFileSync(pidFile, 'utf8'))}/cgroup`, 'utf8').split('\n');
    const mine = new Map(fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').map((l) => [l.split(':')[1], l.split(':')[2]]));
    const memLine = lines.find((l) => l.split(':')[1] === 'memory') as string;
    expect(memLine.split(':')[2]).toBe(path.posix.join(mine.get('memory') as string, cg.parent, 'rel'));
    expect((await berth(root, ['delete', '--force', 'rel'])).code).toBe(0);

    const id = `dflt-${process.pid}`;
    const dflt = s.bundle(['sleep', '1000']);
    expect((await berth(root, ['create', '--bundle', dflt, id])).code).toBe(0);
    expect(fs.existsSync(`/sys/fs/cgroup/pids/berth/${id}`)).toBe(true);
    expect((await berth(root, ['delete', '--force', id])).code).toBe(0);
    expect(fs.existsSync(`/sys/fs/cgroup/pids/berth/${id}`)).toBe(false);

    if (!fs.existsSync('/run/systemd/system')) {
      const sd = s.bundle(['true'], (spec) => {
        spec.linux!.cgroupsPath = 'system.slice:docker:abc';
      });
      const r = await berth(root, ['create', '--bundle', sd, 'sd']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('is in systemd\'s \\"slice:prefix:name\\" form, but systemd is not running');
      expect(fs.existsSync(path.join(root, 'sd'))).toBe(false);
    }
  });
});
