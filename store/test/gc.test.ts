import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { digestOf } from '@berth/spec';
import { Store, chainIds } from '@berth/store';
import { layerTar } from './helpers/layers';
import { addImage, buildImage, type BuiltImage } from './helpers/image';

let root = '';
let store: Store;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'berth-gc-'));
  store = new Store({ root });
});

afterEach(async () => {
  for (const r of await store.rootfs.list()) await store.rootfs.remove(r.id);
  rmSync(root, { recursive: true, force: true });
});

const BASE = layerTar([{ type: 'file', name: 'base', data: 'b'.repeat(10_000) }]);
const ONE = layerTar([{ type: 'file', name: 'one', data: '1'.repeat(3_000) }]);
const TWO = layerTar([{ type: 'file', name: 'two', data: '2'.repeat(5_000) }]);

async function image(layers: Buffer[], refs: string[]): Promise<BuiltImage> {
  const img = buildImage(layers);
  await addImage(store, img, refs);
  await store.unpackImage(img.manifestDigest);
  return img;
}

describe('garbage collection', () => {
  test('removes what only an untagged image used, keeps shared layers and what containers use', async () => {
    const a = await image([BASE, ONE], ['a']);
    const b = await image([BASE, TWO], ['b']);
    const snapsA = await store.imageChainIds(a.manifestDigest);
    await store.rootfs.create('ca', snapsA);
    expect((await store.gc()).blobs).toEqual([]);

    await store.images.untag('b', { prune: true });
    const result = await store.gc();
    const bOnly = [b.manifestDigest, b.configDigest, [...b.blobs.keys()][1]];
    expect([...result.blobs].sort()).toEqual(bOnly.sort());
    const chainB = chainIds(b.diffIds);
    expect(result.snapshots).toEqual([chainB[1]]);
    expect(result.bytesFreed).toBeGreaterThan(5_000);
    expect((await store.snapshots.list()).map((s) => s.chainId).sort()).toEqual([...snapsA].sort());
    // the image left is whole
    expect((await store.check({ verifyBlobs: true })).problems).toEqual([]);

    // a container keeps its snapshots even when its image goes
    await store.images.remove('a');
    const after = await store.gc();
    expect(after.snapshots).toEqual([]);
    expect(after.blobs.length).toBe(4);
    await store.rootfs.remove('ca');
    expect((await store.gc()).snapshots.length).toBe(2);
    expect(readdirSync(path.join(root, 'snapshots'))).toEqual([]);
    expect(readdirSync(path.join(root, 'l'))).toEqual([]);
  });

  test('a live lease protects content that no image names yet; a dead one does not', async () => {
    const blob = Buffer.from('downloading');
    const digest = digestOf(blob);
    await store.withLease(async (lease) => {
      await lease.protect(digest);
      await store.content.writeBytes(blob, { digest });
      expect((await store.gc()).blobs).toEqual([]);
    });
    expect((await store.gc()).blobs).toEqual([digest]);

    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    mkdirSync(path.join(root, 'leases'), { recursive: true });
    writeFileSync(path.join(root, 'leases', 'x.json'), JSON.stringify({ holder: `${dead} 1`, digests: [digest] }));
    await store.content.writeBytes(blob, { digest });
    expect((await store.gc()).blobs).toEqual([digest]);
    expect(readdirSync(path.join(root, 'leases'))).toEqual([]);
  });

  test('dry run reports without deleting', async () => {
    await store.content.writeBytes('loose');
    expect((await store.gc({ dryRun: true })).blobs.length).toBe(1);
    expect((await store.content.list()).length).toBe(1);
  });

  test('image prune removes dangling images; prune -a every image no container uses', async () => {
    const a = await image([BASE, ONE], ['app']);
    const b = await image([BASE, TWO], ['app']); // a is now dangling
    const c = await image([TWO], ['solo']);
    await store.rootfs.create('cb', await store.imageChainIds(b.manifestDigest));
    const dangling = await store.pruneImages();
    expect(dangling.images).toEqual([a.manifestDigest]);
    const all = await store.pruneImages({ all: true });
    expect(all.images).toEqual([c.manifestDigest]);
    expect((await store.images.list()).map((i) => i.digest)).toEqual([b.manifestDigest]);
  });

  test('df: image sizes, shared sizes, containers, reclaimable', async () => {
    const a = await image([BASE, ONE], ['a']);
    await image([BASE, TWO], ['b']);
    await store.rootfs.create('ca', await store.imageChainIds(a.manifestDigest));
    const merged = (await store.rootfs.mount('ca')).merged;
    writeFileSync(path.join(merged, 'written'), 'w'.repeat(700));
    const df = await store.df();
    const byTag = (t: string) => df.images.find((i) => i.tags.includes(`docker.io/library/${t}:latest`))!;
    expect(byTag('a')).toMatchObject({ size: 13_000, sharedSize: 10_000, containers: 1 });
    expect(byTag('b')).toMatchObject({ size: 15_000, sharedSize: 10_000, containers: 0 });
    expect(df.totals.images).toEqual({ total: 2, active: 1, size: 18_000, reclaimable: 5_000 });
    expect(df.containers).toEqual([{ id: 'ca', size: 700 }]);
    expect(df.totals.snapshots).toEqual({ count: 3, size: 18_000 });
  });
});
