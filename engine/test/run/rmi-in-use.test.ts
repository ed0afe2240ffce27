/**
 * `berth rmi` of an image a container uses, with Docker's conflicts (moby
 * daemon/images/image_delete.go), and GC (`image prune -a`) never removing
 * the layers of a running container: the container runs `read` in another
 * process (a foreground `berth run -i`) while the image is removed around it.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { BIN } from '../helpers';
import { containersOf, entries, setUp, tearDown, type RunFixture } from './helpers';

let f: RunFixture;

beforeAll(async () => {
  f = await setUp();
}, 180_000);

afterAll(async () => {
  await tearDown(f);
});

const snapshots = (): string[] => entries(path.join(f.root, 'snapshots'));

async function imageId(ref: string): Promise<string> {
  const r = await f.b(['image', 'inspect', '--format', '{{.Id}}', ref]);
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

/** A foreground `berth run -i --rm busybox` waiting for a line on its stdin. */
function startWaiting(): { ready: Promise<void>; finish(): Promise<{ code: number | null; stdout: string }> } {
  const child = spawn(process.execPath, [BIN, 'run', '-i', '--rm', 'busybox', 'sh', '-c', 'echo ready; read x; ls /bin/busybox'], {
    env: { ...process.env, ...f.env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready\n')) resolve();
    });
    void closed.then((code) => reject(new Error(`berth run exited (${code}) before the container was ready`)));
  });
  return {
    ready,
    async finish() {
      child.stdin.end('go\n');
      return { code: await closed, stdout: out };
    },
  };
}

describe('rmi of an image a container uses', () => {
  it('refuses while a container runs; -f untags but keeps the image and its layers; prune leaves them until it exits', async () => {
    expect((await f.b(['pull', '-q', 'busybox'])).code).toBe(0);
    const id = await imageId('busybox');
    const layers = snapshots();
    expect(layers.length).toBeGreaterThan(0);
    const run = startWaiting();
    await run.ready;
    const [cid] = containersOf(f);
    const [short, cshort] = [id.slice(7, 19), cid!.slice(0, 12)];

    expect(await f.b(['rmi', 'busybox'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: conflict: unable to remove repository reference "busybox" (must force) - container ${cshort} is using its referenced image ${short}\n`,
    });
    for (const force of [[], ['-f']]) {
      expect(await f.b(['rmi', ...force, short])).toEqual({
        code: 1,
        stdout: '',
        stderr: `Error: conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${cshort}\n`,
      });
    }
    const forced = await f.b(['rmi', '-f', 'busybox']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^Untagged: busybox:latest\nUntagged: busybox@sha256:[0-9a-f]{64}\n$/);
    // dangling, still there
    expect((await f.b(['images', '-q', '--no-trunc'])).stdout).toBe(`${id}\n`);

    const prune = await f.b(['image', 'prune', '-a', '-f']);
    expect(prune.code).toBe(0);
    expect(snapshots()).toEqual(layers);
    expect((await f.b(['images', '-q', '--no-trunc'])).stdout).toBe(`${id}\n`);

    expect(await run.finish()).toEqual({ code: 0, stdout: 'ready\n/bin/busybox\n' });
    // now nothing uses it: a plain prune takes the dangling image and its layers
    const after = await f.b(['image', 'prune', '-f']);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain(`deleted: ${id}`);
    expect((await f.b(['images', '-q'])).stdout).toBe('');
    expect(snapshots()).toEqual([]);
  });

  it('a stopped container: the last name and the ID need -f, which deletes the image', async () => {
    expect((await f.b(['pull', '-q', 'busybox'])).code).toBe(0);
    const id = await imageId('busybox');
    expect((await f.b(['run', '--name', `stopped-${process.pid}`, 'busybox', 'true'])).code).toBe(0);
    const [cid] = containersOf(f);
    const [short, cshort] = [id.slice(7, 19), cid!.slice(0, 12)];
    expect((await f.b(['rmi', 'busybox'])).stderr).toBe(
      `Error: conflict: unable to remove repository reference "busybox" (must force) - container ${cshort} is using its referenced image ${short}\n`,
    );
    expect((await f.b(['rmi', short])).stderr).toBe(`Error: conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${cshort}\n`);
    const forced = await f.b(['rmi', '-f', 'busybox']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(new RegExp(`^Untagged: busybox:latest\\nUntagged: busybox@sha256:[0-9a-f]{64}\\nDeleted: ${id}\\n`));
    // the stopped container's root filesystem keeps its layers
    expect(readdirSync(path.join(f.root, 'snapshots')).filter((n) => !n.startsWith('.')).length).toBeGreaterThan(0);
  });
});
