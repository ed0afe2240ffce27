import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Store } from '@berth/store';
import { startFaultProxy, type FaultProxy } from '../../../registry-client/test/helpers/fault-proxy';
import { startRegistry, type TestRegistry } from '../../../registry-client/test/helpers/registry';
import { BIN, berth, buildCli, rmrf, seedImage, tempDir } from '../helpers';

let registry: TestRegistry;
let proxy: FaultProxy;
let root: string;
let layer: string;

beforeAll(async () => {
  buildCli();
  registry = await startRegistry();
  // Random bytes do not compress: the layer blob stays ~2 MB, so a stall leaves a part-written blob.
  const fixture = await seedImage(registry.host, 'big', 'latest', { extraLayers: [{ 'data/random': randomBytes(2 << 20) }] });
  layer = fixture.layers[fixture.layers.length - 1].digest;
  proxy = await startFaultProxy(registry.host);
  root = tempDir('berth-engine-root-');
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  rmrf(root);
});

/** Temp blobs with something written in them (the directory appears with the first blob). */
const partialBlobs = (): string[] => {
  const dir = path.join(root, 'blobs/sha256');
  const names = readdirSync(dir, { withFileTypes: true }).map((e) => e.name);
  return names.filter((n) => n.startsWith('.tmp-') && (statSync(path.join(dir, n), { throwIfNoEntry: false })?.size ?? 0) > 0);
};

/** Resolves once `cond` holds, checking every 20 ms (a condition, not a fixed delay). */
async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('berth pull after kill -9', () => {
  it('a pull killed mid-blob leaves nothing named; the next pull completes and the store check finds nothing wrong', async () => {
    proxy.rules.push({ method: 'GET', path: new RegExp(`/blobs/${layer}`), fault: { kind: 'stall', after: 256 << 10 } });
    const ref = `${proxy.host}/big:latest`;
    const child = spawn(process.execPath, [BIN, '--root', root, 'pull', ref], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await until(() => proxy.seen.some((r) => r.fault === 'stall'), 'the layer download to stall');
      await until(() => existsSync(path.join(root, 'blobs/sha256')) && partialBlobs().length > 0, 'part of the layer to be written');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const store = new Store({ root });
    expect(await store.images.list()).toEqual([]);
    expect(await store.content.has(layer)).toBe(false);
    // What kill -9 leaves: a part-written temp blob and a dead lease, which the check sees.
    const kinds = new Set((await store.check({ dryRun: true })).problems.map((p) => p.kind));
    expect([...kinds].sort()).toEqual(['dead-lease', 'temp']);

    const again = await berth(['--root', root, 'pull', ref]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Status: Downloaded newer image for ${ref}\n`);
    expect(await store.content.verify(layer)).toBe(true);
    expect((await store.check({ dryRun: true, verifyBlobs: true })).problems).toEqual([]);
    expect((await berth(['--root', root, 'images', '-q'])).stdout.trim().split('\n')).toHaveLength(1);
  });
});
