import * as fs from 'node:fs';
import * as path from 'node:path';
import { Scratch, berth, waitExit } from './helpers/bundle';
import { v1ContainerSuite } from './cgroups/container-helpers';
import { procState } from './cgroups/real-helpers';

/*
 * pause/resume through the freezer, the paused state as runc reports and
 * treats it, kill --all and ps over the container's cgroup.
 */

let s: Scratch;
let root: string;
const { describeV1, cg } = v1ContainerSuite('pause', (scratch) => {
  s = scratch;
  root = scratch.stateRoot;
});

async function status(id: string): Promise<string> {
  const r = await berth(root, ['state', id]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { status: string }).status;
}

/** Creates and starts a container running `args`; returns its host pid. */
async function started(id: string, args: string[], edit: Parameters<Scratch['bundle']>[1] = () => undefined): Promise<number> {
  const bundle = s.bundle(args, (spec) => {
    cg.place(spec, id);
    edit(spec);
  });
  const pidFile = path.join(s.dir, `${id}.pid`);
  const c = await berth(root, ['create', '--bundle', bundle, '--pid-file', pidFile, id]);
  expect(c.stderr).toBe('');
  expect((await berth(root, ['start', id])).code).toBe(0);
  return Number(fs.readFileSync(pidFile, 'utf8'));
}

async function expectError(args: string[], message: string): Promise<void> {
  const r = await berth(root, args);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(message);
}

/** Polls a cheap condition on the event loop (observed state, not a timed wait). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200_000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describeV1('pause and resume', () => {
  test('pause freezes the running process, state says paused, resume thaws it', async () => {
    const pid = await started('p1', ['sh', '-c', 'while :; do :; done']);
    expect((await berth(root, ['pause', 'p1'])).code).toBe(0);
    expect(cg.read('freezer', 'p1', 'freezer.state')).toBe('FROZEN');
    // A frozen task sleeps in the freezer (D), the busy loop makes no progress.
    expect(procState(pid)).toBe('D');
    const ticks = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ').slice(13, 15).join();
    expect(await status('p1')).toBe('paused');
    expect(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ').slice(13, 15).join()).toBe(ticks);

    expect((await berth(root, ['resume', 'p1'])).code).toBe(0);
    expect(cg.read('freezer', 'p1', 'freezer.state')).toBe('THAWED');
    expect(await status('p1')).toBe('running');
    expect(procState(pid)).not.toBe('D');
  });

  test('a paused container behaves as under runc: start, pause, delete refuse; TERM waits; KILL stops it', async () => {
    const pid = await started('p2', ['sh', '-c', 'while :; do :; done']);
    await expectError(['resume', 'p2'], 'container not paused');
    expect((await berth(root, ['pause', 'p2'])).code).toBe(0);
    await expectError(['pause', 'p2'], 'container not running');
    await expectError(['start', 'p2'], 'cannot start a container in the paused state');
    await expectError(['delete', 'p2'], 'cannot delete container p2 that is not stopped: paused');
    // SIGTERM is queued: the frozen task cannot act on it, the container stays paused.
    expect((await berth(root, ['kill', 'p2', 'TERM'])).code).toBe(0);
    expect(await status('p2')).toBe('paused');
    // SIGKILL thaws it (as runc does), so it dies.
    expect((await berth(root, ['kill', 'p2', 'KILL'])).code).toBe(0);
    expect(waitExit(pid)).toBe(true);
    expect(await status('p2')).toBe('stopped');
    expect((await berth(root, ['delete', 'p2'])).code).toBe(0);
    expect(cg.left('p2')).toEqual([]);
  });

  test('kill --all of a paused container signals every process and thaws the cgroup (as runc)', async () => {
    // pid 1 of its namespace: SIGTERM only acts through a handler
    const pid = await started('p4', ['sh', '-c', 'trap "exit 0" TERM; while :; do :; done']);
    await until(() => {
      const m = /SigCgt:\s*([0-9a-f]+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m !== null && ((BigInt(`0x${m[1]}`) >> 14n) & 1n) === 1n;
    }, 'the TERM trap');
    expect((await berth(root, ['pause', 'p4'])).code).toBe(0);
    expect((await berth(root, ['kill', '--all', 'p4', 'TERM'])).code).toBe(0);
    expect(cg.read('freezer', 'p4', 'freezer.state')).toBe('THAWED');
    expect(waitExit(pid)).toBe(true);
    expect(await status('p4')).toBe('stopped');
  });

  test('delete --force of a paused container kills it and removes its cgroup', async () => {
    const pid = await started('p3', ['sleep', '1000']);
    expect((await berth(root, ['pause', 'p3'])).code).toBe(0);
    expect((await berth(root, ['delete', '--force', 'p3'])).code).toBe(0);
    expect(waitExit(pid)).toBe(true);
    expect(cg.left('p3')).toEqual([]);
    await expectError(['pause', 'p3'], 'does not exist');
  });
});

describeV1('kill --all and ps over the cgroup', () => {
  test('without its own pid namespace: ps lists every process, kill --all signals each of them', async () => {
    const pid = await started('k1', ['sh', '-c', 'sleep 1001 & sleep 1002 & exec sleep 1003'], (spec) => {
      spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'pid');
    });
    let pids: number[] = [];
    await until(() => {
      pids = fs.readFileSync(path.join(cg.dir('pids', 'k1'), 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
      return pids.length === 3 && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep\x001003');
    }, 'three sleeps');
    const ps = await berth(root, ['ps', '-f', 'json', 'k1']);
    expect((JSON.parse(ps.stdout) as number[]).sort()).toEqual([...pids].sort());
    expect(pids).toContain(pid);

    expect((await berth(root, ['kill', '--all', 'k1', 'KILL'])).code).toBe(0);
    for (const p of pids) expect(waitExit(p)).toBe(true);
    expect(fs.readFileSync(path.join(cg.dir('pids', 'k1'), 'cgroup.procs'), 'utf8')).toBe('');
    expect(await status('k1')).toBe('stopped');
  });
});
