/**
 * Per-container locks (src/lock.ts): concurrent berth-runtime processes on one id take turns.
 * A process blocked on the lock is observed in /proc/locks (a "->" waiter line), never timed.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContainerLocks } from '../src/lock';
import { CLI_ENTRY, Scratch, berth, uniqueId } from './helpers/bundle';

let s: Scratch;
let root: string;

beforeAll(async () => {
  s = await Scratch.create();
  root = s.stateRoot;
});
afterEach(async () => {
  for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    if (!id.endsWith(':lock')) await berth(root, ['delete', '--force', id]);
  }
});
afterAll(() => s.remove());

/** Whether `pid` waits for a flock (the kernel lists blocked waiters with "->"). */
function blockedOnFlock(pid: number): boolean {
  return fs
    .readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .some((l) => new RegExp(`->\\s+FLOCK\\s+\\S+\\s+WRITE\\s+${pid}\\s`).test(l));
}

/** Yields to the event loop until `cond` holds (a state we observe, never a timed sleep). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200_000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function spawnBerth(args: string[]): { pid: number; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [CLI_ENTRY, '--root', root, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return { pid: child.pid!, done };
}

const lockFiles = () => fs.readdirSync(root).filter((n) => n.endsWith(':lock'));

test("delete waits while another process holds the container's lock", async () => {
  const id = uniqueId('held');
  expect((await berth(root, ['create', '--bundle', s.bundle(['true']), id])).code).toBe(0);
  const locks = new ContainerLocks(root);
  const release = locks.acquire(id);
  let deleting: ReturnType<typeof spawnBerth> | undefined;
  try {
    deleting = spawnBerth(['delete', '--force', id]);
    await until(() => blockedOnFlock(deleting!.pid), 'delete to block on the lock');
    expect(fs.existsSync(path.join(root, id, 'state.json'))).toBe(true);
  } finally {
    release();
  }
  expect(await deleting.done).toEqual({ code: 0, stderr: '' });
  expect(fs.existsSync(path.join(root, id))).toBe(false);
  expect(lockFiles()).toEqual([]);
});

test('create and delete racing leave either a whole container or nothing', async () => {
  const bundle = s.bundle(['true']);
  for (let i = 0; i < 3; i++) {
    const id = uniqueId(`race${i}`);
    // berth() collects output in files: the created container keeps its stdio open
    const [created, deleted] = await Promise.all([berth(root, ['create', '--bundle', bundle, id]), berth(root, ['delete', '--force', id])]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(deleted).toMatchObject({ code: 0, stderr: '' });
    // Whichever ran first, the other saw a consistent state: a created container, or none.
    if (fs.existsSync(path.join(root, id))) {
      expect(JSON.parse((await berth(root, ['state', id])).stdout).status).toBe('created');
    }
    expect((await berth(root, ['delete', '--force', id])).code).toBe(0);
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  }
  expect(lockFiles()).toEqual([]);
});

test('two deletes of one running container: both succeed, one does the work', async () => {
  const id = uniqueId('twice');
  expect((await berth(root, ['run', '-d', '--bundle', s.bundle(['sleep', '1000']), id])).code).toBe(0);
  const results = await Promise.all([spawnBerth(['delete', '--force', id]).done, spawnBerth(['delete', '--force', id]).done]);
  expect(results).toEqual([
    { code: 0, stderr: '' },
    { code: 0, stderr: '' },
  ]);
  expect(fs.readdirSync(root)).toEqual([]);
});

test('commands on missing containers leave no lock file behind', async () => {
  for (const args of [['start', 'ghost'], ['delete', 'ghost'], ['delete', '--force', 'ghost'], ['create', '--bundle', '/nonexistent', 'ghost']]) {
    await berth(root, args);
  }
  expect(lockFiles()).toEqual([]);
});

describe('ContainerLocks', () => {
  test('re-entrant within a process; the file goes once the container directory is gone', () => {
    const locks = new ContainerLocks(root);
    const outer = locks.acquire('solo');
    const inner = locks.acquire('solo');
    inner();
    inner(); // a second call is a no-op
    expect(fs.existsSync(locks.path('solo'))).toBe(true);
    outer();
    expect(fs.existsSync(locks.path('solo'))).toBe(false);
    expect(locks.with('solo', () => 7)).toBe(7);
  });

  test('an id that could escape the root is refused before any file is made', () => {
    expect(() => new ContainerLocks(root).acquire('../x')).toThrow('invalid container id');
    expect(fs.existsSync(path.join(path.dirname(root), 'x:lock'))).toBe(false);
  });
});
