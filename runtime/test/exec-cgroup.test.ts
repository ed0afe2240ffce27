import * as fs from 'node:fs';
import * as path from 'node:path';
import { execCgroupDirs } from '../src/exec';
import { TestCgroups, v1Skip } from './cgroups/container-helpers';
import { Scratch, berth, runc, type Result } from './helpers/bundle';

/*
 * `exec --cgroup [CONTROLLER[,CONTROLLER...]:]PATH` (runc >= 1.1): the process runs in an
 * existing sub-cgroup of the container's. Compared with runc on this (v1 hybrid) host through
 * /proc/self/cgroup of the exec'd process, with each container's own cgroup path replaced by
 * "<ctr>" so the two tables can be compared.
 */

test('execCgroupDirs: runc\'s argument rules, paths kept inside the container\'s cgroup', () => {
  const paths = { memory: '/cg/memory/c', cpu: '/cg/cpu,cpuacct/c', cpuacct: '/cg/cpu,cpuacct/c', '': '/cg/unified/c' };
  expect(execCgroupDirs(paths, ['sub'])).toEqual(['/cg/memory/c/sub', '/cg/cpu,cpuacct/c/sub', '/cg/unified/c/sub']);
  expect(execCgroupDirs(paths, ['memory:/a/b'])).toEqual(['/cg/memory/c/a/b', '/cg/cpu,cpuacct/c', '/cg/unified/c']);
  expect(execCgroupDirs(paths, ['cpu,cpuacct:x', 'memory:y'])).toEqual(['/cg/memory/c/y', '/cg/cpu,cpuacct/c/x', '/cg/unified/c']);
  expect(() => execCgroupDirs(paths, ['../x'])).toThrow("--cgroup: ../x is not a sub-cgroup path of the container's cgroup /cg/memory/c");
  expect(() => execCgroupDirs(paths, ['memory:a/../../x'])).toThrow(/not a sub-cgroup path/);
  expect(() => execCgroupDirs(paths, ['foo:x'])).toThrow('--cgroup "foo:x": unknown controller foo (the container\'s cgroup has: memory, cpu, cpuacct)');
  expect(() => execCgroupDirs(paths, ['memory:x', 'y'])).toThrow(/"y": missing CONTROLLER: prefix/);
  expect(() => execCgroupDirs(paths, ['memory:x', 'memory:y'])).toThrow('--cgroup: controller memory given more than once');
  expect(() => execCgroupDirs(paths, [',memory:x'])).toThrow(/empty controller name/);
  expect(() => execCgroupDirs(paths, ['a:b:c'])).toThrow(/expected \[CONTROLLER/);
  expect(() => execCgroupDirs(undefined, ['x'])).toThrow(/no cgroup recorded/);
});

// Not v1ContainerSuite: its containers are deleted after each test, these two live for the suite.
if (v1Skip !== undefined) console.log(`exec --cgroup suite skipped: ${v1Skip}`);
const describeV1 = v1Skip === undefined ? describe : describe.skip;
const cg = new TestCgroups();
let s: Scratch;

type Tool = 'runc' | 'berth';

describeV1('exec --cgroup against runc (v1 hybrid)', () => {
  const ids: Record<Tool, string> = { runc: `xcg-r-${process.pid}`, berth: `xcg-b-${process.pid}` };
  const runcRoot = () => path.join(s.dir, 'runc-state');
  const call = (tool: Tool, args: string[]): Promise<Result> => (tool === 'runc' ? runc(runcRoot(), args) : berth(s.stateRoot, args));
  /** Each container's cgroup directories by controller, from its state.json. */
  const saved: Partial<Record<Tool, Record<string, string>>> = {};

  beforeAll(async () => {
    s = await Scratch.create();
    for (const tool of ['runc', 'berth'] as const) {
      const bundle = s.bundle(['sleep', '1000'], (spec) => cg.place(spec, ids[tool]));
      const r = await call(tool, ['run', '-d', '--bundle', bundle, ids[tool]]);
      if (r.code !== 0) throw new Error(`${tool} run: ${r.stderr}`);
      const root = tool === 'runc' ? runcRoot() : s.stateRoot;
      const state = JSON.parse(fs.readFileSync(path.join(root, ids[tool], 'state.json'), 'utf8')) as { cgroup_paths?: Record<string, string>; cgroupPaths?: Record<string, string> };
      saved[tool] = state.cgroup_paths ?? state.cgroupPaths;
      // "mem" in memory and pids only; "all" in every hierarchy the container has.
      for (const c of ['memory', 'pids']) fs.mkdirSync(path.join(saved[tool]![c]!, 'mem'));
      for (const dir of new Set(Object.values(saved[tool]!))) fs.mkdirSync(path.join(dir, 'all'));
    }
  });
  afterAll(async () => {
    await runc(runcRoot(), ['delete', '--force', ids.runc]);
    await berth(s.stateRoot, ['delete', '--force', ids.berth]);
    cg.remove();
    s.remove();
  });

  /** `exec --cgroup ...` of `cat /proc/self/cgroup`: exit status and the normalised table (or no table). */
  async function cgroupsSeen(tool: Tool, flags: string[]): Promise<{ ok: boolean; table: string[] }> {
    const args = flags.flatMap((f) => ['--cgroup', f]);
    const r = await call(tool, ['exec', ...args, ids[tool], 'cat', '/proc/self/cgroup']);
    const own = `${cg.parent}/${ids[tool]}`;
    const table = r.stdout.trim().split('\n').filter(Boolean)
      .map((l) => l.replace(/^\d+:/, '').split(own).join('<ctr>'))
      .filter((l) => l.includes('<ctr>')) // the hierarchies the container has
      .sort();
    if (r.code !== 0 && tool === 'berth') expect(r.stderr).toMatch(/--cgroup/);
    return { ok: r.code === 0, table: r.code === 0 ? table : [] };
  }

  test.each([
    [['memory:mem']],
    [['memory:mem', 'pids:/mem']],
    [['all']],
    [['cpu,cpuacct:all', 'memory:mem']],
    [['mem']], // missing in cpu, blkio, ...: refused
    [['memory:nope']],
    [['../x']],
    [['memory:../../x']],
    [['nosuch:mem']],
  ])('--cgroup %j', async (flags) => {
    const want = await cgroupsSeen('runc', flags);
    const got = await cgroupsSeen('berth', flags);
    expect(got).toEqual(want);
  });

  test('without --cgroup the process is in the container\'s own cgroup everywhere', async () => {
    const got = await cgroupsSeen('berth', []);
    expect(got.ok).toBe(true);
    expect(got.table.every((l) => l.endsWith(':<ctr>'))).toBe(true);
    expect(got).toEqual(await cgroupsSeen('runc', []));
  });
});
