import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { DockerMediaType, OciMediaType, digestOf, type Digest } from '@berth/spec';
import { makeOciLayout } from '@berth/test';
import { Store, chainIds } from '@berth/store';
import { layerTar } from './helpers/layers';

let root = '';
let store: Store;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'berth-store-'));
  store = new Store({ root: path.join(root, 'store') });
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

async function put(blob: Buffer | string): Promise<{ digest: Digest; size: number }> {
  return store.content.writeBytes(blob);
}

describe('Store', () => {
  test('unpacks a Docker schema 2 image with plain, gzip and zstd layers', async () => {
    const tars = [
      layerTar([{ type: 'file', name: 'plain', data: 'p' }]),
      layerTar([{ type: 'file', name: 'gz', data: 'g' }]),
      layerTar([{ type: 'file', name: 'zst', data: 'z' }]),
    ];
    const { gzipSync } = await import('node:zlib');
    const blobs = [tars[0], gzipSync(tars[1]), spawnSync('zstd', ['-q', '-c'], { input: tars[2] }).stdout];
    const types = [DockerMediaType.Layer, DockerMediaType.LayerGzip, OciMediaType.LayerZstd];
    const layers = await Promise.all(blobs.map(async (b, i) => ({ mediaType: types[i], ...(await put(b)) })));
    const config = await put(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: tars.map((t) => digestOf(t)) } }));
    const manifest = await put(
      JSON.stringify({ schemaVersion: 2, mediaType: DockerMediaType.Manifest, config: { mediaType: DockerMediaType.Config, ...config }, layers }),
    );
    const snaps = await store.unpackImage(manifest.digest);
    expect(snaps.map((s) => s.chainId)).toEqual(chainIds(tars.map((t) => digestOf(t))));
    expect(readdirSync(store.snapshots.fsPath(snaps[2].chainId))).toEqual(['zst']);
    expect((await store.manifest(manifest.digest)).mediaType).toBe(DockerMediaType.Manifest);
  });

  test('a config whose diff IDs do not match the manifest is refused', async () => {
    const layer = await put(layerTar([{ type: 'file', name: 'a', data: 'a' }]));
    const config = await put(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const manifest = await put(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OciMediaType.ImageManifest,
        config: { mediaType: OciMediaType.ImageConfig, ...config },
        layers: [{ mediaType: OciMediaType.Layer, ...layer }],
      }),
    );
    await expect(store.unpackImage(manifest.digest)).rejects.toThrow(/lists 1 layers but the config .* has 0 diff IDs/);
  });

  test('the busybox fixture from an OCI layout: blobs in, image named, snapshot unpacked', async () => {
    const fixture = await makeOciLayout(path.join(root, 'layout'));
    const blobDir = path.join(root, 'layout', 'blobs', 'sha256');
    for (const name of readdirSync(blobDir)) {
      const data = readFileSync(path.join(blobDir, name));
      await store.content.writeBytes(data, { digest: `sha256:${name}`, size: data.length });
    }
    await store.images.add(
      { digest: fixture.manifestDigest, config: fixture.configDigest, mediaType: OciMediaType.ImageManifest, size: fixture.manifestSize },
      ['busybox:latest'],
    );
    const img = await store.images.require('busybox');
    const [snap] = await store.unpackImage(img.digest);
    expect(snap.diffId).toBe(fixture.layers[0].diffId);
    const busybox = path.join(store.snapshots.fsPath(snap.chainId), 'bin', 'busybox');
    expect(spawnSync(busybox, ['echo', 'unpacked'], { encoding: 'utf8' }).stdout).toBe('unpacked\n');

    // and as a container root in one call: busybox runs chrooted in the merged tree
    const rootfs = await store.prepareRootfs('bb', img.digest);
    try {
      const run = spawnSync('chroot', [rootfs.merged, '/bin/sh', '-c', 'echo hi > /tmp/x && cat /tmp/x && ls /bin/busybox'], { encoding: 'utf8' });
      expect(run.stdout).toBe('hi\n/bin/busybox\n');
      expect(readFileSync(path.join(rootfs.upper, 'tmp', 'x'), 'utf8')).toBe('hi\n');
    } finally {
      await store.rootfs.remove('bb');
    }
  });
});

test('a manifest that is not JSON is a ValidationError naming it', async () => {
  const blob = await store.content.writeBytes('{not json');
  await expect(store.manifest(blob.digest)).rejects.toMatchObject({ code: 'ERR_BERTH_INVALID', message: expect.stringContaining(blob.digest) });
});

test('a manifest or config not in the content store is a NotFoundError naming it; the store can read them once it is', async () => {
  const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } };
  const bytes = Buffer.from(JSON.stringify(config));
  const digest = digestOf(bytes);
  await expect(store.config(digest)).rejects.toMatchObject({ code: 'ERR_BERTH_STORE_NOT_FOUND', message: `blob ${digest} is not in the content store` });
  await expect(store.manifest(digest)).rejects.toMatchObject({ code: 'ERR_BERTH_STORE_NOT_FOUND', message: expect.stringContaining(digest) });
  await store.content.writeBytes(bytes);
  await expect(store.config(digest)).resolves.toMatchObject({ architecture: 'amd64', rootfs: { diff_ids: [] } });
  await expect(store.config('sha256:nothex')).rejects.toMatchObject({ code: 'ERR_BERTH_INVALID_DIGEST' });
});
