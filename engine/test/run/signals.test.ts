import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
}

/** Starts `berth run ARGS`; the container's command prints `ready` once its traps are set. */
function start(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, 'run', ...args], { env: { ...process.env, ...f.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (stdout.includes('ready\n')) markReady();
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      markReady();
      resolve({ code, stdout, stderr });
    }),
  );
  return { pid: child.pid as number, ready, done };
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

  it('a second SIGINT kills a container that ignores the first (as pid 1 ignores signals it has no handler for); without --rm the record stays', async () => {
    const run = start(['busybox', 'sh', '-c', 'trap "" INT; echo ready; while :; do sleep 0.1; done']);
    await run.ready;
    process.kill(run.pid, 'SIGINT');
    const [id] = containersOf(f);
    // still running after the first: the container ignored it
    const record = (): Record<string, unknown> => JSON.parse(readFileSync(path.join(f.root, 'containers', id, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(record().state).toBe('running');
    process.kill(run.pid, 'SIGINT');
    const r = await run.done;
    expect(r.code).toBe(137);
    expect(record()).toMatchObject({ state: 'exited', exitCode: 137 });
    expect(mountsUnder(f.root)).toEqual([]);
    expect(entries(path.join(f.root, 'runtime'))).toEqual([]);
  });
});
