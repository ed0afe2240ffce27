import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { BIN } from '../helpers';
import { containersOf, entries, mountsUnder, setUp, tearDown, type RunFixture } from './helpers';

let f: RunFixture;

beforeAll(async () => {
  f = await setUp();
  expect((await f.b(['pull', '-q', 'busybox'])).code).toBe(0);
}, 180_000);

afterAll(async () => {
  await tearDown(f);
});

interface Running {
  pid: number;
  /** Resolves once the container printed `ready`. */
  ready: Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** berth itself exited (its stdout may stay open: a container that outlives it holds it). */
  exited: Promise<void>;
  /** Resolves once stdout contains `text`. */
  output(text: string): Promise<void>;
}

/** Starts `berth run ARGS`; the container's command prints `ready` once its traps are set. */
function start(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, 'run', ...args], { env: { ...process.env, ...f.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const output = (text: string): Promise<void> =>
    new Promise<void>((resolve) => {
      if (stdout.includes(text)) resolve();
      else waiters.push({ text, resolve });
    });
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    for (const w of waiters.filter((x) => stdout.includes(x.text))) w.resolve();
  });
  const ready = output('ready\n');
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      for (const w of waiters) w.resolve(); // a test waiting for output that never came fails on its checks
      resolve({ code, stdout, stderr });
    }),
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { pid: child.pid as number, ready, done, exited, output };
}

/** Whether a process exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('berth run and signals', () => {
  it('SIGTERM to berth goes to the container first; then mounts, runtime state and the container are cleaned up (--rm)', async () => {
    const run = start(['--rm', 'busybox', 'sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done']);
    await run.ready;
    expect(containersOf(f)).toHaveLength(1);
    expect(mountsUnder(f.root)).toHaveLength(1);
    process.kill(run.pid, 'SIGTERM');
    const r = await run.done;
    expect(r).toEqual({ code: 7, stdout: 'ready\ngot TERM\n', stderr: '' });
    expect(mountsUnder(f.root)).toEqual([]);
    expect(entries(path.join(f.root, 'runtime'))).toEqual([]);
    expect(entries(path.join(f.root, 'rootfs'))).toEqual([]);
    expect(containersOf(f)).toEqual([]);
  });

  it('a second SIGINT kills a container that survives the first; without --rm the record stays', async () => {
    const run = start(['busybox', 'sh', '-c', 'trap "echo got INT" INT; echo ready; while :; do sleep 0.1; done']);
    await run.ready;
    process.kill(run.pid, 'SIGINT');
    // the container got it (forwarded) and carries on; only then the second, so the two never coalesce
    await run.output('got INT\n');
    const [id] = containersOf(f);
    // still running after the first: the container ignored it
    const record = (): Record<string, unknown> => JSON.parse(readFileSync(path.join(f.root, 'containers', id, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(record().state).toBe('running');
    process.kill(run.pid, 'SIGINT');
    const r = await run.done;
    expect(r.code).toBe(137);
    expect(record()).toMatchObject({ state: 'exited', exitCode: 137 });
    expect(mountsUnder(f.root)).toEqual([]);
    expect(entries(path.join(f.root, 'runtime')).filter((n) => /^[0-9a-f]{64}$/.test(n))).toEqual([]);
    // what a later `berth rm` does
    rmSync(path.join(f.root, 'containers', id), { recursive: true });
    rmSync(path.join(f.root, 'rootfs', id), { recursive: true });
  });

  it('after SIGKILL to berth (no cleanup possible), the next berth run cleans up what it left: --rm removes all, otherwise the record says exited', async () => {
    const removed = start(['--rm', 'busybox', 'sh', '-c', 'echo ready; while :; do sleep 0.1; done']);
    const kept = start(['--name', 'killed', 'busybox', 'sh', '-c', 'echo ready; while :; do sleep 0.1; done']);
    await Promise.all([removed.ready, kept.ready]);
    process.kill(removed.pid, 'SIGKILL');
    process.kill(kept.pid, 'SIGKILL');
    await Promise.all([removed.exited, kept.exited]);
    // what berth left: both mounts, both containers still running
    expect(mountsUnder(f.root)).toHaveLength(2);
    const pids = entries(path.join(f.root, 'runtime'))
      .filter((n) => /^[0-9a-f]{64}$/.test(n))
      .map(
      (id) => (JSON.parse(readFileSync(path.join(f.root, 'runtime', id, 'state.json'), 'utf8')) as { pid: number }).pid,
    );
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    expect(containersOf(f)).toHaveLength(2);

    const next = await f.b(['run', '--rm', 'busybox', 'echo', 'next']);
    expect(next).toEqual({ code: 0, stdout: 'next\n', stderr: '' });
    expect(mountsUnder(f.root)).toEqual([]);
    expect(entries(path.join(f.root, 'runtime'))).toEqual([]);
    const [id] = containersOf(f);
    expect(containersOf(f)).toHaveLength(1);
    const record = JSON.parse(readFileSync(path.join(f.root, 'containers', id, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ name: 'killed', state: 'exited', exitCode: 137 });
    expect(entries(path.join(f.root, 'rootfs'))).toEqual([id]);
    // the containers were killed
    expect(pids.filter(alive)).toEqual([]);
    // their stdout pipes close now
    await Promise.all([removed.done, kept.done]);
  });
});
