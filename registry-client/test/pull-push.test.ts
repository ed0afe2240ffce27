import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { OciLayout, RegistryClient, pullToLayout, pushFromLayout, pushImage, OciMediaType, sha256, type ImageIndex } from '../src';
import { makeImage } from './helpers/images';
import { startRegistry, type TestRegistry } from './helpers/registry';
import { rmrf, tempDir } from './helpers/tmp';

const run = promisify(execFile);

describe('pull and push against docker-registry', () => {
  let registry: TestRegistry;
  let dir: string;
  let client: RegistryClient;

  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });
  beforeEach(async () => {
    dir = await tempDir();
    client = new RegistryClient();
  });
  afterEach(async () => {
    await client.close();
    await rmrf(dir);
  });

  test('push from a layout, pull it back by tag and by digest with identical bytes', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const img = await makeImage(src, 'v1', [3000, 70000, 10]);
    const events: string[] = [];
    const digest = await pushFromLayout(client, src.dir, `${registry.host}/test/app:v1`, {
      refName: 'v1',
      onProgress: (e) => events.push(`${e.state} ${e.digest}`),
    });
    expect(digest).toBe(img.descriptor.digest);
    expect(events).toContain(`done ${img.manifest.layers[1].digest}`);

    const byTag = await pullToLayout(client, `${registry.host}/test/app:v1`, path.join(dir, 'a'));
    expect(byTag.descriptor.digest).toBe(img.descriptor.digest);
    const a = await OciLayout.open(path.join(dir, 'a'));
    for (const [i, layer] of img.manifest.layers.entries()) {
      expect((await a.readBlob(layer.digest)).equals(img.layers[i])).toBe(true);
    }
    expect((await a.resolve('v1')).digest).toBe(img.descriptor.digest);

    const byDigest = await pullToLayout(client, `${registry.host}/test/app@${digest}`, path.join(dir, 'b'));
    expect(byDigest.manifest.config.digest).toBe(img.manifest.config.digest);
    // No temp files are left behind in the layout.
    expect((await fs.readdir(path.join(dir, 'b', 'blobs'))).sort()).toEqual(['sha256']);
  });

  test('a second push skips existing blobs and a push to another repository mounts them', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const img = await makeImage(src, 'v1', [500]);
    await pushFromLayout(client, src.dir, `${registry.host}/one/app:v1`);
    const states: string[] = [];
    await pushFromLayout(client, src.dir, `${registry.host}/one/app:v2`, { onProgress: (e) => states.push(e.state) });
    expect(states).toEqual(['exists', 'exists']);
    const mounted: string[] = [];
    await pushFromLayout(client, src.dir, `${registry.host}/two/app:v1`, { onProgress: (e) => mounted.push(e.state) });
    expect(mounted).toEqual(['mounted', 'mounted']);
    const tags = await client.repository(registry.host, 'one/app').tags();
    expect(tags.sort()).toEqual(['v1', 'v2']);
    expect(await client.repository(registry.host, 'two/app').headBlob(img.manifest.layers[0].digest)).toBe(img.layers[0].length);
  });

  test('chunked upload in PATCH pieces produces the same blob', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const img = await makeImage(src, 'v1', [300000]);
    const states: string[] = [];
    await pushFromLayout(client, src.dir, `${registry.host}/chunky/app:v1`, {
      chunkSize: 64 * 1024,
      onProgress: (e) => states.push(e.state),
    });
    expect(states.filter((s) => s === 'uploading').length).toBeGreaterThanOrEqual(4);
    const pulled = await pullToLayout(client, `${registry.host}/chunky/app:v1`, path.join(dir, 'out'));
    const out = await OciLayout.open(path.join(dir, 'out'));
    expect((await out.readBlob(pulled.manifest.layers[0].digest)).equals(img.layers[0])).toBe(true);
  });

  test('an index with two platforms: pushes children, pulls the requested one, lists available on mismatch', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const amd = await makeImage(src, 'amd', [100], { os: 'linux', architecture: 'amd64' });
    const arm = await makeImage(src, 'arm', [100], { os: 'linux', architecture: 'arm64' });
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: OciMediaType.ImageIndex,
      manifests: [
        { ...amd.descriptor, platform: { os: 'linux', architecture: 'amd64' } },
        { ...arm.descriptor, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ],
    };
    const bytes = Buffer.from(JSON.stringify(index));
    await src.putBlob(bytes, sha256(bytes));
    const indexDesc = { mediaType: OciMediaType.ImageIndex, digest: sha256(bytes), size: bytes.length };
    await pushImage(client, src, indexDesc, `${registry.host}/multi/app:latest`);

    const pulled = await pullToLayout(client, `${registry.host}/multi/app`, path.join(dir, 'arm'), { platform: 'linux/arm64' });
    expect(pulled.descriptor.digest).toBe(arm.descriptor.digest);
    expect(pulled.indexDigest).toBe(sha256(bytes));
    await expect(
      pullToLayout(client, `${registry.host}/multi/app`, path.join(dir, 'x'), { platform: 'linux/s390x' }),
    ).rejects.toMatchObject({ code: 'ERR_BERTH_PLATFORM_NOT_FOUND', message: expect.stringContaining('linux/amd64, linux/arm64/v8') });

    const all = await pullToLayout(client, `${registry.host}/multi/app`, path.join(dir, 'all'), { allPlatforms: true });
    expect(all.descriptor.digest).toBe(sha256(bytes));
    const layout = await OciLayout.open(path.join(dir, 'all'));
    expect(await layout.has(amd.manifest.layers[0].digest)).toBe(true);
    expect(await layout.has(arm.manifest.layers[0].digest)).toBe(true);
  });

  test('errors carry the registry code and read as a person needs them', async () => {
    await expect(pullToLayout(client, `${registry.host}/nope/nothing:1`, path.join(dir, 'x'))).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_BERTH_REGISTRY_(NAME|MANIFEST)_UNKNOWN$/),
      message: expect.stringMatching(/nope\/nothing/),
    });
  });

  test('skopeo reads what berth pushed, and berth pulls what skopeo pushed, with identical digests', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const img = await makeImage(src, 'v1', [4000, 5000]);
    await pushFromLayout(client, src.dir, `${registry.host}/interop/berth:v1`);
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/interop/berth:v1`]);
    expect(Buffer.from(stdout).equals(img.manifestBytes)).toBe(true);
    await run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${registry.host}/interop/berth:v1`, `oci:${dir}/sk:v1`]);
    const sk = await OciLayout.open(path.join(dir, 'sk'));
    expect((await sk.resolve('v1')).digest).toBe(img.descriptor.digest);

    // skopeo pushes berth's layout under another name; berth pulls it back.
    await run('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${src.dir}:v1`, `docker://${registry.host}/interop/skopeo:v1`]);
    const { stdout: digest } = await run('skopeo', ['inspect', '--format', '{{.Digest}}', '--tls-verify=false', `docker://${registry.host}/interop/skopeo:v1`]);
    const pulled = await pullToLayout(client, `${registry.host}/interop/skopeo:v1`, path.join(dir, 'back'));
    expect(pulled.descriptor.digest).toBe(digest.trim());
  });
});
