import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { OciLayout, OciMediaType, RegistryClient, pullToLayout, pushFromLayout, sha256, type ImageIndex } from '../src';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy';
import { makeImage, randomTar } from './helpers/images';
import { startRegistry, type TestRegistry } from './helpers/registry';
import { rmrf, tempDir } from './helpers/tmp';

describe('the rest of the distribution API', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let dir: string;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.host);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });
  beforeEach(async () => {
    dir = await tempDir();
    client = new RegistryClient({ retryDelayMs: 5 });
    proxy.rules.length = 0;
    proxy.seen.length = 0;
  });
  afterEach(async () => {
    await client.close();
    await rmrf(dir);
  });

  test('tags and catalog follow Link pagination', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    await makeImage(src, 'v1', [10]);
    for (const tag of ['a', 'b', 'c', 'd', 'e']) await pushFromLayout(client, src.dir, `${registry.host}/paged/app:${tag}`);
    await pushFromLayout(client, src.dir, `${registry.host}/paged/other:x`);
    const repo = client.repository(proxy.host, 'paged/app');
    // distribution 2.8 ignores `n` for tags, so the pages come from the proxy.
    const json = { 'content-type': 'application/json' };
    proxy.rules.push(
      { path: /\/tags\/list\?n=2$/, fault: { kind: 'status', status: 200, headers: { ...json, link: '</v2/paged/app/tags/list?n=2&last=b>; rel="next"' }, body: '{"name":"paged/app","tags":["a","b"]}' } },
      { path: /last=b$/, fault: { kind: 'status', status: 200, headers: { ...json, link: '</v2/paged/app/tags/list?n=2&last=d>; rel="next"' }, body: '{"name":"paged/app","tags":["c","d"]}' } },
    );
    const paged = await repo.tags({ pageSize: 2 });
    // Two proxy pages, then the registry's own (unpaged) answer for the last link.
    expect(paged.slice(0, 4)).toEqual(['a', 'b', 'c', 'd']);
    expect(paged.slice(4).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(proxy.seen.filter((r) => r.url.includes('/tags/list')).map((r) => r.url)).toEqual([
      '/v2/paged/app/tags/list?n=2',
      '/v2/paged/app/tags/list?n=2&last=b',
      '/v2/paged/app/tags/list?n=2&last=d',
    ]);
    expect((await repo.tags()).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    // The catalog is paged by the registry itself.
    proxy.seen.length = 0;
    const catalog = await client.catalog(proxy.host, { pageSize: 1 });
    expect(catalog).toEqual(expect.arrayContaining(['paged/app', 'paged/other']));
    expect(proxy.seen.filter((r) => r.url.startsWith('/v2/_catalog')).length).toBeGreaterThanOrEqual(catalog.length);
  });

  test('delete removes a manifest', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const img = await makeImage(src, 'v1', [10]);
    await pushFromLayout(client, src.dir, `${registry.host}/del/app:v1`);
    const repo = client.repository(registry.host, 'del/app');
    expect((await repo.headManifest('v1'))?.digest).toBe(img.descriptor.digest);
    await repo.deleteManifest(img.descriptor.digest);
    expect(await repo.headManifest(img.descriptor.digest)).toBeUndefined();
    await expect(repo.deleteManifest(img.descriptor.digest)).rejects.toMatchObject({ code: 'ERR_BERTH_REGISTRY_MANIFEST_UNKNOWN' });
  });

  test('referrers fall back to the sha256-<hex> tag schema on a registry without the API', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const img = await makeImage(src, 'v1', [10]);
    await pushFromLayout(client, src.dir, `${registry.host}/ref/app:v1`, { refName: 'v1' });
    const repo = client.repository(registry.host, 'ref/app', { push: true });
    expect((await repo.referrers(img.descriptor.digest)).manifests).toEqual([]);
    // Two manifests in the repository stand in for an SBOM and a signature.
    const a = await makeImage(src, 'sbom', [5]);
    const b = await makeImage(src, 'sig', [6]);
    await pushFromLayout(client, src.dir, `${registry.host}/ref/app:sbom`, { refName: 'sbom' });
    await pushFromLayout(client, src.dir, `${registry.host}/ref/app:sig`, { refName: 'sig' });
    const sbom = { ...a.descriptor, artifactType: 'application/spdx+json' };
    const sig = { ...b.descriptor, artifactType: 'application/vnd.dev.cosign' };
    const index: ImageIndex = { schemaVersion: 2, mediaType: OciMediaType.ImageIndex, manifests: [sbom, sig] };
    await repo.putManifest(img.descriptor.digest.replace(':', '-'), Buffer.from(JSON.stringify(index)), OciMediaType.ImageIndex);
    expect((await repo.referrers(img.descriptor.digest)).manifests).toEqual([sbom, sig]);
    expect((await repo.referrers(img.descriptor.digest, 'application/spdx+json')).manifests).toEqual([sbom]);
  });

  test('docker.io pulls go to a mirror first', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const img = await makeImage(src, 'v1', [10]);
    await pushFromLayout(client, src.dir, `${registry.host}/library/mirrored:v1`);
    const mirrored = new RegistryClient({ mirrors: [`http://${proxy.host}`], insecureLoopback: false });
    try {
      const pulled = await pullToLayout(mirrored, 'mirrored:v1', path.join(dir, 'out'));
      expect(pulled.descriptor.digest).toBe(img.descriptor.digest);
      expect(pulled.reference.toString()).toBe('docker.io/library/mirrored:v1');
      expect(proxy.seen.some((r) => r.url === '/v2/library/mirrored/manifests/v1')).toBe(true);
    } finally {
      await mirrored.close();
    }
  });

  test('plain HTTP only for registries listed as insecure (when loopback is not implicitly insecure)', async () => {
    const strict = new RegistryClient({ insecureLoopback: false, retries: 0 });
    const listed = new RegistryClient({ insecureLoopback: false, insecureRegistries: [registry.host] });
    try {
      await expect(strict.repository(registry.host, 'x/y').tags()).rejects.toMatchObject({ code: 'ERR_BERTH_REGISTRY_UNREACHABLE' });
      expect(await listed.repository(registry.host, 'nothing/here').headManifest('v1')).toBeUndefined();
      expect(await listed.transport(registry.host).baseUrl()).toBe(`http://${registry.host}`);
    } finally {
      await Promise.all([strict.close(), listed.close()]);
    }
  });

  test('Docker Hub rate-limit headers are shown in the error', async () => {
    proxy.rules.push({
      path: /\/manifests\/v1$/,
      times: 10,
      fault: {
        kind: 'status',
        status: 429,
        headers: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600' },
        body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}',
      },
    });
    const impatient = new RegistryClient({ retries: 0 });
    try {
      await expect(pullToLayout(impatient, `${proxy.host}/rl/app:v1`, path.join(dir, 'x'))).rejects.toMatchObject({
        code: 'ERR_BERTH_REGISTRY_TOOMANYREQUESTS',
        message: expect.stringMatching(/pull rate limit.*rate limit 100;w=21600, remaining 0;w=21600/),
        rateLimit: { limit: '100;w=21600', remaining: '0;w=21600' },
      });
    } finally {
      await impatient.close();
    }
  });

  test('schema 1 manifests are refused with a clear message', async () => {
    proxy.rules.push({
      method: 'GET',
      path: /\/manifests\/old$/,
      fault: {
        kind: 'status',
        status: 200,
        headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' },
        body: JSON.stringify({ schemaVersion: 1, name: 's1/app', tag: 'old', fsLayers: [], history: [] }),
      },
    });
    await expect(pullToLayout(client, `${proxy.host}/s1/app:old`, path.join(dir, 'x'))).rejects.toMatchObject({
      code: 'ERR_BERTH_UNSUPPORTED_MANIFEST',
      message: expect.stringContaining('schema 1'),
    });
  });

  test('a manifest that breaks its schema is refused naming the JSON path', async () => {
    proxy.rules.push({
      method: 'GET',
      path: /\/manifests\/bad$/,
      fault: {
        kind: 'status',
        status: 200,
        headers: { 'content-type': OciMediaType.ImageManifest },
        body: JSON.stringify({ schemaVersion: 2, mediaType: OciMediaType.ImageManifest, config: { mediaType: OciMediaType.ImageConfig, size: 'big' }, layers: [] }),
      },
    });
    await expect(pullToLayout(client, `${proxy.host}/bad/app:bad`, path.join(dir, 'x'))).rejects.toMatchObject({
      code: 'ERR_BERTH_INVALID',
      message: expect.stringContaining('$.config'),
    });
  });

  test('a 416 during a chunked upload is recovered by asking the upload status', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const img = await makeImage(src, 'v1', [150000]);
    proxy.rules.push({ method: 'PATCH', path: /\/blobs\/uploads\//, fault: { kind: 'status', status: 416 } });
    await pushFromLayout(client, src.dir, `${proxy.host}/r416/app:v1`, { chunkSize: 40000 });
    const patches = proxy.seen.filter((r) => r.method === 'PATCH').map((r) => [r.headers['content-range'], r.fault ?? 'pass']);
    // The refused chunk is sent again once the registry has said where the upload stands.
    const refused = patches.findIndex(([, fault]) => fault === 'status');
    expect(refused).toBeGreaterThanOrEqual(0);
    expect(patches.slice(refused + 1)).toContainEqual([patches[refused][0], 'pass']);
    expect(proxy.seen.some((r) => r.method === 'GET' && r.url.includes('/blobs/uploads/'))).toBe(true);
    const pulled = await pullToLayout(client, `${proxy.host}/r416/app:v1`, path.join(dir, 'out'));
    expect(pulled.manifest.layers[0].digest).toBe(img.manifest.layers[0].digest);
  });

  test('uncompressed and zstd layers push and pull unchanged', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const tar = await randomTar('f', 3000);
    const zst = spawnSync('zstd', ['-q', '-c'], { input: tar }).stdout;
    expect(zst.readUInt32LE(0)).toBe(0xfd2fb528);
    const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [sha256(tar), sha256(tar)] } }));
    for (const b of [tar, zst, config]) await src.putBlob(b, sha256(b));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OciMediaType.ImageManifest,
        config: { mediaType: OciMediaType.ImageConfig, digest: sha256(config), size: config.length },
        layers: [
          { mediaType: OciMediaType.Layer, digest: sha256(tar), size: tar.length },
          { mediaType: OciMediaType.LayerZstd, digest: sha256(zst), size: zst.length },
        ],
      }),
    );
    await src.putBlob(manifest, sha256(manifest));
    await src.addManifest({ mediaType: OciMediaType.ImageManifest, digest: sha256(manifest), size: manifest.length }, 'v1');
    await pushFromLayout(client, src.dir, `${registry.host}/comp/app:v1`);
    const pulled = await pullToLayout(client, `${registry.host}/comp/app:v1`, path.join(dir, 'out'));
    const out = await OciLayout.open(path.join(dir, 'out'));
    expect((await out.readBlob(pulled.manifest.layers[1].digest)).equals(zst)).toBe(true);
    expect((await out.readBlob(pulled.manifest.layers[0].digest)).equals(tar)).toBe(true);
  });
});
