import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cgroupFeatures, containerDeviceRules, createCgroupManager, detectLayout, eventLine, eventsJson, openCgroupManager, resourcesFromOci, watchOom,
  CgroupLayout, CgroupManager, Resources,
} from '../../src/cgroups';
import { removeContainerCgroup } from '../../src/cgroups/cleanup';
import { exited, gatedShell, leftovers, printed, procCgroups, procState, read, removeParent, testParent } from './real-helpers';

/*
 * The v1 manager against this host's real cgroup v1 hierarchies (root
 * needed): limits land in the kernel, a real process is moved in, counted,
 * frozen, thawed and killed, and no cgroup directory is left behind.
 */

const layout: CgroupLayout | undefined = (() => {
  try {
    return detectLayout();
  } catch {
    return undefined;
  }
})();
const reason =
  process.getuid?.() !== 0 ? 'not root' :
  layout === undefined || layout.mode === 'v2' ? 'the host has no cgroup v1 hierarchies' :
  !['memory', 'pids', 'freezer', 'cpu', 'devices'].every((c) => layout.v1.has(c)) ? 'memory, pids, freezer, cpu or devices controller not mounted' :
  undefined;

const parent = testParent();
let m: CgroupManager;
const children: ReturnType<typeof gatedShell>[] = [];
const managers: CgroupManager[] = [];

function manager(id: string): CgroupManager {
  const made = createCgroupManager({ id, cgroupsPath: `${parent}/${id}`, layout });
  managers.push(made);
  return made;
}

beforeAll(() => {
  if (reason !== undefined) console.log(`cgroup v1 suite skipped: ${reason}`);
});

afterEach(async () => {
  // Whatever a failed test left: every process in its cgroups, then the cgroups.
  for (const made of managers.splice(0)) {
    if (!made.exists()) continue;
    await made.killAll('SIGKILL');
    await made.destroy();
  }
  for (const c of children.splice(0)) {
    c.child.kill('SIGKILL');
    await exited(c.child);
  }
});

afterAll(() => {
  if (reason === undefined && layout !== undefined) removeParent(layout, parent);
});

test('create, limit, join, count, freeze, thaw, kill and destroy a real cgroup', async () => {
  if (reason !== undefined || layout === undefined) return;
  m = manager('c1');
  m.create();
  const paths = m.paths();
  for (const c of ['memory', 'pids', 'freezer', 'cpu', 'cpuset', 'devices']) {
    if (layout.v1.has(c)) expect(fs.existsSync(paths[c] as string)).toBe(true);
  }
  // cpuset was given its parent's cpus and mems, or no task could join.
  if (paths.cpuset !== undefined) expect(read(paths.cpuset, 'cpuset.cpus')).toBe(read(path.dirname(path.dirname(paths.cpuset)), 'cpuset.cpus'));

  const oci = resourcesFromOci({
    memory: { limit: 64 << 20, reservation: 32 << 20 },
    pids: { limit: 20 },
    cpu: { shares: 512, quota: 50000, period: 100000 },
  }).resources;
  const resources: Resources = { ...oci, devices: containerDeviceRules([{ type: 'a', major: -1, minor: -1, access: 'rwm', allow: false }]) };
  m.set(resources);
  const mem = paths.memory as string;
  expect(read(mem, 'memory.limit_in_bytes')).toBe(String(64 << 20));
  expect(read(mem, 'memory.soft_limit_in_bytes')).toBe(String(32 << 20));
  expect(read(paths.pids as string, 'pids.max')).toBe('20');
  expect(read(paths.cpu as string, 'cpu.shares')).toBe('512');
  expect(read(paths.cpu as string, 'cpu.cfs_quota_us')).toBe('50000');
  const list = read(paths.devices as string, 'devices.list').split('\n');
  expect(list).not.toContain('a *:* rwm');
  expect(list).toEqual(expect.arrayContaining(['c 1:3 rwm', 'c 136:* rwm', 'b *:* m', 'c *:* m']));
  // Setting the same devices again writes nothing new and still verifies.
  m.set(resources);

  const sh = gatedShell('echo ready; exec sleep 1000');
  children.push(sh);
  m.apply(sh.pid);
  sh.go();
  await new Promise<void>((resolve) => sh.child.stdout?.on('data', () => sh.output().includes('ready') && resolve()));
  const cg = procCgroups(sh.pid);
  for (const [key, value] of cg) {
    if (key === 'memory' || key === 'pids' || key === 'freezer') expect(value).toBe(`${parent}/c1`);
  }
  if (layout.unified !== undefined) expect(cg.get('')).toBe(`${parent}/c1`);
  expect(m.pids()).toEqual([sh.pid]);

  const stats = JSON.parse(eventsJson(m.stats()));
  expect(stats.pids).toEqual({ current: 1, limit: 20 });
  expect(stats.memory.usage.limit).toBe(64 << 20);
  expect(stats.cpu.usage.total).toBeGreaterThan(0);

  await m.freeze();
  expect(m.freezerState()).toBe('FROZEN');
  expect(procState(sh.pid)).toBe('D');
  await m.thaw();
  expect(m.freezerState()).toBe('THAWED');
  expect(procState(sh.pid)).not.toBe('D');

  // A later command (kill, delete) rebuilds the manager from the saved paths.
  const again = openCgroupManager(JSON.parse(JSON.stringify(paths)), layout);
  expect(again.paths()).toEqual(paths);
  expect(again.pids()).toEqual([sh.pid]);
  await again.killAll('SIGKILL');
  expect(await exited(sh.child)).toEqual({ code: null, signal: 'SIGKILL' });
  expect(m.pids()).toEqual([]);
  await again.destroy();
  expect(m.exists()).toBe(false);
  for (const dir of Object.values(paths)) expect(fs.existsSync(dir)).toBe(false);
  removeParent(layout, parent);
  expect(leftovers(layout, parent)).toEqual([]);
});

test('kill --all of a paused container: a plain signal leaves it paused, SIGKILL still ends it', async () => {
  if (reason !== undefined || layout === undefined) return;
  const k = manager('paused');
  k.create();
  const sh = gatedShell('trap "" TERM; echo ready; while :; do read _x; done');
  children.push(sh);
  k.apply(sh.pid);
  sh.go();
  await printed(sh, 'ready');
  await k.freeze();
  await k.killAll('SIGTERM');
  expect(k.freezerState()).toBe('FROZEN');
  expect(k.pids()).toEqual([sh.pid]);
  await k.killAll('SIGKILL');
  expect(await exited(sh.child)).toEqual({ code: null, signal: 'SIGKILL' });
  expect(k.freezerState()).toBe('THAWED');
  await k.destroy();
  expect(k.exists()).toBe(false);
});

test('features reports the cgroup versions this host has', () => {
  if (reason !== undefined || layout === undefined) return;
  const f = cgroupFeatures(layout);
  expect(f).toMatchObject({ v1: true, v2: layout.mode === 'hybrid', systemd: false, systemdUser: false });
  if (layout.v1.has('rdma')) expect(f.rdma).toBe(true);
});

test('pids.max holds: a fork beyond the limit fails', async () => {
  if (reason !== undefined || layout === undefined) return;
  const p = manager('pids');
  p.create();
  p.set(resourcesFromOci({ pids: { limit: 4 } }).resources);
  // The shell is one task; the fourth background sleep would be the fifth.
  // dash gives up with "Cannot fork" when fork(2) fails with EAGAIN.
  const sh = gatedShell('for i in 1 2 3 4 5 6; do sleep 1000 & done; echo "all started"');
  children.push(sh);
  p.apply(sh.pid);
  sh.go();
  await exited(sh.child);
  expect(sh.output()).toMatch(/can(no|')t fork/i);
  expect(sh.output()).not.toContain('all started');
  expect(p.pids()).toHaveLength(3);
  const stats = JSON.parse(eventsJson(p.stats()));
  expect(stats.pids).toEqual({ current: 3, limit: 4 });
  await p.killAll('SIGKILL');
  expect(p.pids()).toEqual([]);
  await p.destroy();
  expect(p.exists()).toBe(false);
});

test('a process above memory.limit_in_bytes is OOM-killed and counted', async () => {
  if (reason !== undefined || layout === undefined) return;
  const o = manager('oom');
  o.create();
  const limit = 16 << 20;
  const hasSwapAccounting = fs.existsSync(path.join(o.paths().memory as string, 'memory.memsw.limit_in_bytes'));
  o.set(resourcesFromOci({ memory: { limit, ...(hasSwapAccounting ? { swap: limit } : {}) } }).resources);
  expect(o.oomKillCount()).toBe(0n);
  const oomEvents: string[] = [];
  const oomSeen = new Promise<void>((resolve) => {
    const stop = watchOom(o, () => {
      oomEvents.push(eventLine('oom', 'oom'));
      stop();
      resolve();
    }, 20);
  });
  // tail keeps its last 10 lines in memory; 64 MiB without a newline is one line.
  const sh = gatedShell('head -c 67108864 /dev/zero | tail -n 1 > /dev/null; echo "status $?"');
  children.push(sh);
  o.apply(sh.pid);
  sh.go();
  const result = await exited(sh.child);
  expect(result.code).toBe(0);
  expect(sh.output()).toMatch(/status (137|1)/); // the pipeline's tail died from SIGKILL
  expect(o.oomKillCount()).toBeGreaterThanOrEqual(1n);
  await oomSeen;
  expect(oomEvents).toEqual(['{"type":"oom","id":"oom"}']);
  expect(JSON.parse(eventsJson(o.stats())).memory.usage.max).toBeGreaterThan(limit / 2);
  await o.destroy();
  expect(o.exists()).toBe(false);
});

test('update raises the memory limit of a running cgroup; checkBeforeUpdate refuses one below usage', async () => {
  if (reason !== undefined || layout === undefined) return;
  const u = manager('upd');
  u.create();
  u.set(resourcesFromOci({ memory: { limit: 32 << 20 } }).resources);
  // The shell holds an 8 MB string allocated after it joined, so the cgroup is charged for it.
  const sh = gatedShell('x=$(head -c 8000000 /dev/zero | tr "\\0" a); echo ready; read _wait');
  children.push(sh);
  u.apply(sh.pid);
  sh.go();
  await new Promise<void>((resolve) => sh.child.stdout?.on('data', () => sh.output().includes('ready') && resolve()));
  u.set(resourcesFromOci({ memory: { limit: 128 << 20 } }).resources);
  expect(read(u.paths().memory as string, 'memory.limit_in_bytes')).toBe(String(128 << 20));
  expect(() => u.set(resourcesFromOci({ memory: { limit: 1 << 20, checkBeforeUpdate: true } }).resources)).toThrow(/rejecting memory limit 1048576 below usage/);
  expect(read(u.paths().memory as string, 'memory.limit_in_bytes')).toBe(String(128 << 20));
  await u.killAll('SIGKILL');
  await u.destroy();
  expect(u.exists()).toBe(false);
});

test("delete's cgroup removal: empty cgroups by rmdir alone; a process left in them is killed first, child cgroups go bottom-up", async () => {
  if (reason !== undefined || layout === undefined) return;
  const empty = manager('rm-empty');
  empty.create();
  await removeContainerCgroup(empty.paths());
  for (const dir of Object.values(empty.paths())) expect(fs.existsSync(dir)).toBe(false);
  await removeContainerCgroup(empty.paths()); // already gone: no error

  const busy = manager('rm-busy');
  busy.create();
  const paths = busy.paths();
  const sh = gatedShell('echo ready; exec sleep 1000');
  children.push(sh);
  busy.apply(sh.pid);
  sh.go();
  await new Promise<void>((resolve) => sh.child.stdout?.on('data', () => sh.output().includes('ready') && resolve()));
  // a child cgroup in one hierarchy, as a container's own cgroup manager might make
  fs.mkdirSync(path.join(paths.memory as string, 'inner'));
  await removeContainerCgroup(JSON.parse(JSON.stringify(paths)) as Record<string, string>);
  expect(await exited(sh.child)).toEqual({ code: null, signal: 'SIGKILL' });
  for (const dir of Object.values(paths)) expect(fs.existsSync(dir)).toBe(false);

  const nested = manager('rm-nested');
  nested.create();
  fs.mkdirSync(path.join(nested.paths().pids as string, 'a'));
  fs.mkdirSync(path.join(nested.paths().pids as string, 'a', 'b'));
  await removeContainerCgroup(nested.paths());
  for (const dir of Object.values(nested.paths())) expect(fs.existsSync(dir)).toBe(false);
});
