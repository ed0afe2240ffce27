import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sharesToWeight } from '../../src/cgroups';
import { CLI_ENTRY, Scratch, berth, waitExit } from '../helpers/bundle';
import { MiB, TestCgroups, layout, withResources } from './container-helpers';

/*
 * berth-runtime's cgroup wiring on a pure cgroup v2 host (Ubuntu 24.04 with
 * all controllers is the reference): real containers through the CLI, so
 * create -> set (with the eBPF device filter) -> apply -> freeze -> kill ->
 * destroy all run against the kernel. On other hosts the suite is reported
 * as skipped with the reason printed.
 */

const reason =
  process.getuid?.() !== 0 ? 'not root' :
  layout?.mode !== 'v2' ? `this host is ${layout?.mode ?? 'without cgroups'}, not pure cgroup v2` :
  undefined;
if (reason !== undefined) console.log(`cgroup v2 container suite skipped: ${reason}`);
const describeV2 = reason === undefined ? describe : describe.skip;

let s: Scratch;
let root: string;
const cg = new TestCgroups();

beforeAll(async () => {
  if (reason !== undefined) return;
  s = await Scratch.create();
  root = s.stateRoot;
});
afterEach(async () => {
  if (reason !== undefined) return;
  for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) await berth(root, ['delete', '--force', id]);
});
afterAll(() => {
  if (reason !== undefined) return;
  cg.remove();
  s.remove();
});

const read = (id: string, file: string) => cg.read('', id, file);

describeV2('containers on cgroup v2', () => {
  test('limits in the unified files, seen inside; device filter denies; pause, kill --all, delete', async () => {
    const bundle = s.bundle(['sh', '-c', 'cat /sys/fs/cgroup/memory.max; head -c 1 /dev/kmsg; exec sleep 1000'], (spec) => {
      cg.place(spec, 'v2');
      withResources(spec, { memory: { limit: 48 * MiB }, pids: { limit: 20 }, cpu: { shares: 512, quota: 50_000, period: 100_000 } });
      spec.mounts!.push({ destination: '/dev/kmsg', type: 'bind', source: '/dev/kmsg', options: ['bind'] });
    });
    const pidFile = path.join(s.dir, 'v2.pid');
    const out = path.join(s.dir, 'v2.out');
    const fd = fs.openSync(out, 'w+');
    // The container's output goes to a file of ours (it outlives create).
    const create = spawn(process.execPath, [CLI_ENTRY, '--root', root, 'create', '--bundle', bundle, '--pid-file', pidFile, 'v2'], { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    expect(await new Promise((resolve) => create.on('exit', resolve))).toBe(0);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(read('v2', 'memory.max')).toBe(String(48 * MiB));
    expect(read('v2', 'pids.max')).toBe('20');
    expect(read('v2', 'cpu.max')).toBe('50000 100000');
    expect(read('v2', 'cpu.weight')).toBe(String(sharesToWeight(512)));
    expect(read('v2', 'cgroup.procs').split('\n').map(Number)).toEqual([pid]);

    expect((await berth(root, ['start', 'v2'])).code).toBe(0);
    // The shell execs sleep after its two commands: then their output is complete.
    for (let i = 0; i < 200_000 && !fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'); i++) await new Promise((r) => setImmediate(r));
    const text = fs.readFileSync(out, 'utf8');
    expect(text).toContain(`${48 * MiB}\n`);
    expect(text).toMatch(/\/dev\/kmsg: Operation not permitted/);

    expect((await berth(root, ['pause', 'v2'])).code).toBe(0);
    expect(read('v2', 'cgroup.freeze')).toBe('1');
    expect(read('v2', 'cgroup.events')).toMatch(/^frozen 1$/m);
    expect(JSON.parse((await berth(root, ['state', 'v2'])).stdout)).toMatchObject({ status: 'paused' });
    expect((await berth(root, ['resume', 'v2'])).code).toBe(0);
    expect(read('v2', 'cgroup.events')).toMatch(/^frozen 0$/m);

    const upd = await berth(root, ['update', '--memory', '64m', '--pids-limit', '9', 'v2']);
    expect(upd.stderr).toBe('');
    expect(read('v2', 'memory.max')).toBe(String(64 * MiB));
    expect(read('v2', 'pids.max')).toBe('9');
    const stats = JSON.parse((await berth(root, ['events', '--stats', 'v2'])).stdout) as { data: { memory: { usage: { limit: number } }; pids: { current: number } } };
    expect(stats.data).toMatchObject({ memory: { usage: { limit: 64 * MiB } }, pids: { current: 1 } });

    expect((await berth(root, ['kill', '--all', 'v2', 'KILL'])).code).toBe(0);
    expect(waitExit(pid)).toBe(true);
    expect(read('v2', 'cgroup.procs')).toBe('');
    expect((await berth(root, ['delete', 'v2'])).code).toBe(0);
    expect(cg.left('v2')).toEqual([]);
  });

  test('a process over the memory limit is OOM-killed (137); run removes the cgroup', async () => {
    const bundle = s.bundle(['tail', '/dev/zero'], (spec) => {
      cg.place(spec, 'oom');
      withResources(spec, { memory: { limit: 16 * MiB } });
    });
    const r = await berth(root, ['run', '--bundle', bundle, 'oom']);
    expect(r.code).toBe(137);
    expect(cg.left('oom')).toEqual([]);
  });
});
