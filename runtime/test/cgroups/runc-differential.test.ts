import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuntimeTypes } from '@berth/spec';
import { containerDeviceRules, createCgroupManager, detectLayout, resourcesFromOci, CgroupLayout, CgroupManager } from '../../src/cgroups';
import { Scratch, exec } from '../helpers/bundle';
import { removeParent, testParent } from './real-helpers';

/*
 * runc as the oracle: the same linux.resources go to `runc create` and to our
 * v1 manager, and the kernel's view of every knob must match file by file.
 */

const layout: CgroupLayout | undefined = (() => {
  try {
    return detectLayout();
  } catch {
    return undefined;
  }
})();
const runc = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
const reason =
  process.getuid?.() !== 0 ? 'not root' :
  runc === undefined ? 'runc is not installed' :
  layout === undefined || layout.mode === 'v2' ? 'needs cgroup v1 hierarchies' : undefined;

const FILES: Record<string, string[]> = {
  memory: ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.soft_limit_in_bytes', 'memory.swappiness', 'memory.oom_control'],
  cpu: ['cpu.shares', 'cpu.cfs_quota_us', 'cpu.cfs_period_us', 'cpu.idle'],
  cpuset: ['cpuset.cpus', 'cpuset.mems'],
  pids: ['pids.max'],
  devices: ['devices.list'],
  blkio: ['blkio.throttle.read_bps_device', 'blkio.throttle.write_iops_device'],
};

/** The first real block device (a disk, not a loop device), for throttle rules the kernel accepts. */
function blockDevice(): { major: number; minor: number } | undefined {
  for (const name of fs.readdirSync('/sys/block')) {
    if (name.startsWith('loop') || name.startsWith('zram') || name.startsWith('ram')) continue;
    const [major, minor] = fs.readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
    if (major !== undefined && minor !== undefined) return { major, minor };
  }
  return undefined;
}

let s: Scratch | undefined;
const parent = testParent();
let ours: CgroupManager | undefined;
const id = `berth-diff-${process.pid}`;

afterAll(async () => {
  if (reason !== undefined || layout === undefined) return;
  if (s !== undefined) {
    await exec(runc as string, ['--root', path.join(s.dir, 'runc-state'), 'delete', '--force', id]);
    s.remove();
  }
  if (ours?.exists()) await ours.destroy();
  removeParent(layout, parent);
});

test('runc create and our manager leave the same values in every v1 knob', async () => {
  if (reason !== undefined || layout === undefined) return console.log(`runc differential skipped: ${reason}`);
  const dev = blockDevice();
  const resources: RuntimeTypes.LinuxResources = {
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
      { allow: true, type: 'b', major: 7, access: 'r' },
    ],
    memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20, swappiness: 30, disableOOMKiller: true },
    cpu: { shares: 512, quota: 30000, period: 50000, cpus: '0', mems: '0', idle: 0 },
    pids: { limit: 50 },
    ...(dev === undefined ? {} : {
      blockIO: {
        throttleReadBpsDevice: [{ ...dev, rate: 1048576 }],
        throttleWriteIOPSDevice: [{ ...dev, rate: 300 }],
      },
    }),
  };
  s = await Scratch.create();
  const bundle = s.bundle(['sleep', '1000'], (spec) => {
    spec.linux!.cgroupsPath = `${parent}/runc`;
    spec.linux!.resources = resources;
  });
  const created = await exec(runc as string, ['--root', path.join(s.dir, 'runc-state'), 'create', '--bundle', bundle, id]);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);

  ours = createCgroupManager({ id: 'ours', cgroupsPath: `${parent}/ours`, layout });
  ours.create();
  const r = resourcesFromOci(resources).resources;
  ours.set({ ...r, devices: containerDeviceRules(r.devices) });

  // runc before 1.2 also allowed /dev/net/tun (c 10:200 rwm) by default; 1.2 dropped it, and so does berth.
  const version = /runc version (\d+)\.(\d+)/.exec((await exec(runc as string, ['--version'])).stdout);
  const oldRunc = version !== null && Number(version[1]) === 1 && Number(version[2]) < 2;
  const normalise = (f: string, text: string) => (f === 'devices.list' && oldRunc ? text.replace('c 10:200 rwm\n', '') : text);
  const diffs: string[] = [];
  let compared = 0;
  for (const [controller, files] of Object.entries(FILES)) {
    const mount = layout.v1.get(controller);
    if (mount === undefined) continue;
    for (const f of files) {
      const theirs = path.join(mount, parent, 'runc', f);
      if (!fs.existsSync(theirs)) continue;
      const a = normalise(f, fs.readFileSync(theirs, 'utf8'));
      const b = fs.readFileSync(path.join(mount, parent, 'ours', f), 'utf8');
      compared++;
      if (a !== b) diffs.push(`${controller}/${f}: runc ${JSON.stringify(a)} berth ${JSON.stringify(b)}`);
    }
  }
  expect(diffs).toEqual([]);
  expect(compared).toBeGreaterThanOrEqual(12);
});
