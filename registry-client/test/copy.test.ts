import * as path from 'node:path';
import { OciLayout, OciMediaType, RegistryClient, copyImage, pullToLayout, pushImage, sha256, type ImageIndex } from '../src';
import { makeImage } from './helpers/images';
import { startRegistry, type TestRegistry } from './helpers/registry';
import { rmrf, tempDir } from './helpers/tmp';

describe('copyImage between repositories and registries', () => {
  let a: TestRegistry;
  let b: TestRegistry;
  let dir: string;
  let client: RegistryClient;
  beforeAll(async () => {
    [a, b] = await Promise.all([startRegistry(), startRegistry()]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });
  beforeEach(async () => {
    dir = await tempDir();
    client = new RegistryClient();
  });
  afterEach(async () => {
    await client.close();
    await rmrf(dir);
  });

  test('an index with its children: mounted on the same registry, streamed to another, digests unchanged', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const amd = await makeImage(src, 'amd', [40000, 10], { os: 'linux', architecture: 'amd64' });
    const arm = await makeImage(src, 'arm', [30000], { os: 'linux', architecture: 'arm64' });
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: OciMediaType.ImageIndex,
      manifests: [
        { ...amd.descriptor, platform: { os: 'linux', architecture: 'amd64' } },
        { ...arm.descriptor, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    };
    const bytes = Buffer.from(JSON.stringify(index));
    await src.putBlob(bytes, sha256(bytes));
    const indexDigest = await pushImage(client, src, { mediaType: OciMediaType.ImageIndex, digest: sha256(bytes), size: bytes.length }, `${a.host}/orig/app:1`);

    const fresh = new RegistryClient();
    try {
      const states: string[] = [];
      expect(await copyImage(fresh, `${a.host}/orig/app:1`, `${a.host}/copy/app:1`, { onProgress: (e) => states.push(e.state) })).toBe(indexDigest);
      expect(states.filter((s) => s === 'mounted').length).toBe(5);

      expect(await copyImage(fresh, `${a.host}/orig/app:1`, `${b.host}/other/app:2`)).toBe(indexDigest);
      const pulled = await pullToLayout(fresh, `${b.host}/other/app:2`, path.join(dir, 'out'), { platform: 'linux/arm64' });
      expect(pulled.descriptor.digest).toBe(arm.descriptor.digest);
      const out = await OciLayout.open(path.join(dir, 'out'));
      expect((await out.readBlob(arm.manifest.layers[0].digest)).equals(arm.layers[0])).toBe(true);
    } finally {
      await fresh.close();
    }
  });
});
