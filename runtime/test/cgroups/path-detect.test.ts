import * as fs from 'node:fs';
import { createCgroupManager, expandSlice, layoutFromMountinfo, ownCgroups, resolveCgroupsPath, resourcesFromOci } from '../../src/cgroups';
import { FakeTree } from './fake-tree';

describe('cgroupsPath', () => {
  test('empty is /berth/<id>; absolute is cleaned; relative cannot climb out', () => {
    expect(resolveCgroupsPath(undefined, 'c1')).toEqual({ inner: '/berth/c1', relative: false });
    expect(resolveCgroupsPath('', 'c1')).toEqual({ inner: '/berth/c1', relative: false });
    expect(resolveCgroupsPath('/a/../b//c/', 'c1')).toEqual({ inner: '/b/c', relative: false });
    expect(resolveCgroupsPath('/../../etc', 'c1')).toEqual({ inner: '/etc', relative: false });
    expect(resolveCgroupsPath('x/y', 'c1')).toEqual({ inner: 'x/y', relative: true });
    expect(resolveCgroupsPath('../../x', 'c1')).toEqual({ inner: 'x', relative: true });
    expect(() => resolveCgroupsPath('..', 'c1')).toThrow(/names no cgroup/);
  });

  test('systemd\'s slice:prefix:name is recognised, and refused with a reason when systemd is absent', () => {
    expect(() => resolveCgroupsPath('system.slice:docker:abc', 'abc', { systemdRunning: false })).toThrow(
      expect.objectContaining({ code: 'ERR_BERTH_CGROUP_CONFIG', message: expect.stringMatching(/systemd's "slice:prefix:name" form, but systemd is not running on this host \(no \/run\/systemd\/system\); use a cgroupfs path such as \/berth\/abc/) }),
    );
    expect(resolveCgroupsPath('user-1000.slice:berth:c1', 'c1', { systemdRunning: true })).toEqual({
      inner: '/user.slice/user-1000.slice/berth-c1.scope', relative: false,
    });
    expect(resolveCgroupsPath(':berth:c1', 'c1', { systemdRunning: true }).inner).toBe('/system.slice/berth-c1.scope');
    expect(() => resolveCgroupsPath('/berth/c1', 'c1', { systemdCgroup: true, systemdRunning: true })).toThrow(/expects the form "slice:prefix:name"/);
    expect(expandSlice('-.slice', 'x')).toBe('/');
    expect(() => expandSlice('a--b.slice', 'x')).toThrow(/invalid slice name/);
  });

  test('this host: systemd\'s form is refused since no systemd runs here', () => {
    if (fs.existsSync('/run/systemd/system')) {
      console.log('skipped: systemd runs on this host');
      return;
    }
    expect(() => resolveCgroupsPath('system.slice:berth:c1', 'c1')).toThrow(/systemd is not running/);
  });
});

describe('detection', () => {
  const HYBRID = [
    '30 24 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755',
    '31 30 0:27 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate',
    '32 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd',
    '33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
    '34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
    '35 30 0:31 / /sys/fs/cgroup/with\\040space rw - cgroup cgroup rw,pids',
  ].join('\n');

  test('hybrid: v1 controllers by mount, co-mounted ones together, plus the cgroup2 mount', () => {
    const l = layoutFromMountinfo(HYBRID);
    expect(l.mode).toBe('hybrid');
    expect(l.unified).toBe('/sys/fs/cgroup/unified');
    expect(l.v1.get('cpu')).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(l.v1.get('cpuacct')).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(l.v1.get('name=systemd')).toBe('/sys/fs/cgroup/systemd');
    expect(l.v1.get('pids')).toBe('/sys/fs/cgroup/with space');
  });

  test('pure v2 and pure v1', () => {
    expect(layoutFromMountinfo('29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate')).toEqual({ mode: 'v2', v1: new Map(), unified: '/sys/fs/cgroup' });
    expect(layoutFromMountinfo('34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory').mode).toBe('v1');
    expect(() => layoutFromMountinfo('1 1 0:1 / / rw - ext4 /dev/sda rw')).toThrow(/no cgroup filesystem/);
  });

  test('/proc/self/cgroup is split per controller, "" for v2', () => {
    const own = ownCgroups('12:cpu,cpuacct:/a\n1:name=systemd:/s\n0::/u/v\n');
    expect(own.get('cpu')).toBe('/a');
    expect(own.get('cpuacct')).toBe('/a');
    expect(own.get('name=systemd')).toBe('/s');
    expect(own.get('')).toBe('/u/v');
  });

  test('this host is detected from its mounts', () => {
    const l = layoutFromMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
    console.log(`cgroup layout of this host: ${l.mode}, v1 controllers: ${[...l.v1.keys()].join(' ') || 'none'}, cgroup2: ${l.unified ?? 'none'}`);
    expect(['v1', 'v2', 'hybrid']).toContain(l.mode);
  });
});

describe('relative paths against the caller\'s own cgroup', () => {
  let t: FakeTree;
  beforeEach(() => {
    t = FakeTree.create();
  });
  afterEach(() => t.remove());

  test('v1: below the own cgroup of each controller; v2: below its parent', () => {
    t.seed('memory', {});
    t.seed('pids', {});
    const v1 = createCgroupManager({ id: 'c1', cgroupsPath: 'ctr/c1', root: t.root, selfCgroup: '4:memory:/job/7\n3:pids:/\n' });
    expect(v1.paths()).toEqual({ memory: `${t.root}/memory/job/7/ctr/c1`, pids: `${t.root}/pids/ctr/c1` });
    t.remove();
    t = FakeTree.create();
    t.seed('', { 'cgroup.controllers': '' });
    const v2 = createCgroupManager({ id: 'c1', cgroupsPath: 'c1', root: t.root, selfCgroup: '0::/user.slice/session-1.scope\n' });
    expect(v2.paths()).toEqual({ '': `${t.root}/user.slice/c1` });
  });
});

describe('resources from config.json', () => {
  test('kernel memory is ignored with a warning (as runc), bad values name their field', () => {
    const r = resourcesFromOci({ memory: { limit: 1 << 20, kernel: 1 << 20 } });
    expect(r.warnings).toEqual([expect.stringMatching(/linux\.resources\.memory\.kernel and kernelTCP are ignored/)]);
    expect(r.resources.memory).toBe(1 << 20);
    expect(() => resourcesFromOci({ memory: { limit: -2 } })).toThrow(/linux\.resources\.memory\.limit: expected an integer >= -1, got -2/);
    expect(() => resourcesFromOci({ cpu: { cpus: '0-a' } })).toThrow(/linux\.resources\.cpu\.cpus: invalid list "0-a"/);
    expect(() => resourcesFromOci({ devices: [{ allow: true, type: 'x', access: 'r' }] })).toThrow(/linux\.resources\.devices\[0\]\.type: invalid device type "x"/);
    expect(() => resourcesFromOci({ devices: [{ allow: true, access: '' }] })).toThrow(/linux\.resources\.devices\[0\]\.access: device access cannot be empty/);
    expect(() => resourcesFromOci({ hugepageLimits: [{ pageSize: '2M', limit: 1 }] })).toThrow(/hugepageLimits\[0\]\.pageSize: invalid hugepage size "2M"/);
    expect(resourcesFromOci({ pids: { limit: 0 } }).resources.pidsLimit).toBeUndefined();
  });
});
