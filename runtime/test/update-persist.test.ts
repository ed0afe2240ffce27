import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCgroupManager } from '../src/cgroups';
import { StateDir, type SavedState } from '../src/state';
import { applyUpdate, mergeResources } from '../src/update';
import { FakeTree } from './cgroups/fake-tree';
import { MiB, v1ContainerSuite, withResources } from './cgroups/container-helpers';
import { berth, runc } from './helpers/bundle';
import type { Scratch } from './helpers/bundle';

/*
 * `update` persists what it set (runc saves its merged cgroup config in
 * state.json): a later update starts from it, so limits that depend on each
 * other (v2 swap = memory+swap - memory) see the current partner.
 */

test('mergeResources: fields given win, the rest stay; memory -1 alone lifts swap too (runc)', () => {
  const base = { memory: { limit: 64 * MiB, swap: 128 * MiB }, cpu: { shares: 1024, quota: 50_000 }, pids: { limit: 10 }, devices: [{ allow: false, access: 'rwm' }] };
  expect(mergeResources(base, { cpu: { period: 200_000 }, pids: { limit: 7 } })).toEqual({
    memory: { limit: 64 * MiB, swap: 128 * MiB }, cpu: { shares: 1024, quota: 50_000, period: 200_000 }, pids: { limit: 7 }, devices: base.devices,
  });
  expect(mergeResources(base, { memory: { limit: -1 } }).memory).toEqual({ limit: -1, swap: -1 });
  expect(mergeResources({}, { unified: { 'memory.high': '1M' } })).toEqual({ unified: { 'memory.high': '1M' } });
  // The input is not changed.
  expect(base.cpu).toEqual({ shares: 1024, quota: 50_000 });
});

describe('applyUpdate on a cgroup v2 tree (file writes)', () => {
  let t: FakeTree;
  let stateRoot: string;
  beforeEach(() => {
    t = FakeTree.create();
    stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), `berth-upd-${process.pid}-`));
  });
  afterEach(() => {
    t.remove();
    fs.rmSync(stateRoot, { recursive: true, force: true });
  });

  test('--memory-swap alone uses the saved memory limit; the merged set is saved atomically', () => {
    const all = 'cpu memory pids';
    t.seed('', { 'cgroup.controllers': all, 'cgroup.subtree_control': '' });
    t.seed('berth', { 'cgroup.controllers': all, 'cgroup.subtree_control': '' });
    t.seed('berth/c1', { 'cgroup.controllers': all, 'memory.max': '', 'memory.swap.max': '', 'pids.max': '', 'cpu.max': 'max 100000', 'cpu.weight': '' });
    const m = createCgroupManager({ id: 'c1', root: t.root, deviceFilter: { attach: () => undefined } });
    const dirs = new StateDir(stateRoot);
    dirs.create('c1');
    // The config saved at create is the starting point before any update.
    fs.writeFileSync(path.join(dirs.dir('c1'), 'config.json'), JSON.stringify({ linux: { resources: { memory: { limit: 64 * MiB }, pids: { limit: 10 } } } }));
    const state: SavedState = { id: 'c1', pid: 1, startTime: 0, bundle: '/b', rootfs: '/b/rootfs', created: '', owner: '', ownPidNs: true, cgroupPaths: m.paths() };
    dirs.save(state);

    expect(applyUpdate(dirs, dirs.load('c1'), m, { memory: { swap: 192 * MiB } })).toEqual([]);
    expect(t.read('berth/c1/memory.swap.max')).toBe(String(128 * MiB));
    expect(t.read('berth/c1/memory.max')).toBe(String(64 * MiB));
    expect(dirs.load('c1').resources).toEqual({ memory: { limit: 64 * MiB, swap: 192 * MiB }, pids: { limit: 10 } });

    // A second update sees the first one's swap: raising memory keeps memory+swap at 192M.
    applyUpdate(dirs, dirs.load('c1'), m, { memory: { limit: 96 * MiB } });
    expect(t.read('berth/c1/memory.swap.max')).toBe(String(96 * MiB));
    expect(dirs.load('c1').resources?.memory).toEqual({ limit: 96 * MiB, swap: 192 * MiB });
    expect(fs.readdirSync(dirs.dir('c1')).sort()).toEqual(['config.json', 'state.json']);

    // A bad value names the field and changes nothing, on disk or in the saved state.
    t.writes();
    expect(() => applyUpdate(dirs, dirs.load('c1'), m, { pids: { limit: 1.5 } })).toThrow(/linux\.resources\.pids\.limit/);
    expect(t.writes()).toEqual([]);
    expect(dirs.load('c1').resources?.pids).toEqual({ limit: 10 });
  });
});

let s: Scratch;
const { describeV1, cg } = v1ContainerSuite('update persistence', (scratch) => {
  s = scratch;
});

describeV1('update persistence (v1, against runc)', () => {
  test('two updates: the kernel files match runc\'s, and state.json holds the merged limits', async () => {
    const id = `up${process.pid}`;
    const rid = `${id}r`;
    const bundle = (name: string) => s.bundle(['sleep', '1000'], (spec) => {
      cg.place(spec, name);
      withResources(spec, { memory: { limit: 64 * MiB }, pids: { limit: 10 }, cpu: { shares: 1024 } });
    });
    const runcRoot = path.join(s.dir, 'runc-state');
    try {
      expect((await berth(s.stateRoot, ['run', '-d', '--bundle', bundle(id), id])).code).toBe(0);
      expect((await runc(runcRoot, ['run', '-d', '--bundle', bundle(rid), rid])).code).toBe(0);
      for (const args of [['--memory', '128m'], ['--pids-limit', '7', '--cpu-share', '512']]) {
        const b = await berth(s.stateRoot, ['update', ...args, id]);
        expect(b.stderr).toBe('');
        expect(b.code).toBe(0);
        expect((await runc(runcRoot, ['update', ...args, rid])).code).toBe(0);
      }
      for (const [controller, file] of [['memory', 'memory.limit_in_bytes'], ['pids', 'pids.max'], ['cpu', 'cpu.shares']]) {
        expect(`${file}=${cg.read(controller!, id, file!)}`).toBe(`${file}=${cg.read(controller!, rid, file!)}`);
      }
      expect(cg.read('memory', id, 'memory.limit_in_bytes')).toBe(String(128 * MiB));
      const saved = JSON.parse(fs.readFileSync(path.join(s.stateRoot, id, 'state.json'), 'utf8')) as SavedState;
      expect(saved.resources).toMatchObject({ memory: { limit: 128 * MiB }, pids: { limit: 7 }, cpu: { shares: 512 } });
      // The device rules of the config are kept in the saved copy (update never changes them).
      expect(saved.resources?.devices).toEqual([{ allow: false, access: 'rwm' }]);
      expect(fs.readdirSync(path.join(s.stateRoot, id)).filter((f) => f.includes('.tmp'))).toEqual([]);
    } finally {
      await runc(runcRoot, ['delete', '--force', rid]);
    }
  });
});
