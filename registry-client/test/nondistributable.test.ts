/**
 * Non-distributable (foreign) layers, with skopeo as the oracle: push never
 * uploads them, pull does not fetch them unless asked, and the manifest keeps
 * their descriptors with `urls`.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DockerMediaType, OciMediaType } from '@berth/spec';
import { OciLayout, RegistryClient, copyImage, pullToLayout, pushFromLayout } from '../src';
import { makeLayeredImage, type LayerSpec } from './helpers/layered';
import { startRegistry, type TestRegistry } from './helpers/registry';
import { tarOf } from './helpers/tar';
import { rmrf, tempDir } from './helpers/tmp';

const run = promisify(execFile);
const URLS = ['https://foreign.example.com/layer.tar.gz'];

let registry: TestRegistry;
let dir: string;
let client: RegistryClient;
beforeAll(async () => {
  // distribution refuses foreign urls in OCI manifests unless they are allowed, as a real deployment would set it up.
  registry = await startRegistry({ allowUrls: ['^https://foreign\\.example\\.com/'] });
});
afterAll(() => registry?.stop());
beforeEach(async () => {
  dir = await tempDir();
  client = new RegistryClient();
});
afterEach(async () => {
  await client.close();
  await rmrf(dir);
});

function layers(mediaType: string): LayerSpec[] {
  return [{ tar: tarOf([{ name: 'base', data: Buffer.from('normal') }]) }, { tar: tarOf([{ name: 'foreign', data: Buffer.from('licensed') }]), mediaType, urls: URLS }];
}

/** Does the registry hold the blob? (HEAD through skopeo's view is not possible; ask the API.) */
async function registryHas(repo: string, digest: string): Promise<boolean> {
  const res = await fetch(`http://${registry.host}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  return res.status === 200;
}

test.each([OciMediaType.LayerNonDistributableGzip, DockerMediaType.ForeignLayerGzip])(
  'push skips the %s layer as skopeo does; pull keeps its descriptor without fetching it',
  async (mediaType) => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const img = await makeLayeredImage(src, 'v1', layers(mediaType));
    const [normal, foreign] = img.manifest.layers;

    const digest = await pushFromLayout(client, src.dir, `${registry.host}/nd/berth:v1`, { refName: 'v1' });
    expect(digest).toBe(img.descriptor.digest);
    expect(await registryHas('nd/berth', normal.digest)).toBe(true);
    expect(await registryHas('nd/berth', foreign.digest)).toBe(false);

    // The oracle: skopeo pushing the same layout leaves the same blobs out.
    await run('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${src.dir}:v1`, `docker://${registry.host}/nd/skopeo:v1`]);
    expect(await registryHas('nd/skopeo', normal.digest)).toBe(true);
    expect(await registryHas('nd/skopeo', foreign.digest)).toBe(false);
    const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/nd/berth:v1`]);
    expect(JSON.parse(stdout).layers[1]).toEqual({ mediaType, digest: foreign.digest, size: foreign.size, urls: URLS });

    const pulled = await pullToLayout(client, `${registry.host}/nd/berth:v1`, path.join(dir, 'pulled'));
    expect(pulled.manifest.layers[1]).toEqual(foreign);
    const out = await OciLayout.open(path.join(dir, 'pulled'));
    expect(await out.has(normal.digest)).toBe(true);
    expect(await out.has(foreign.digest)).toBe(false);
    // skopeo pulling into a layout does the same.
    await run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${registry.host}/nd/berth:v1`, `oci:${dir}/sk:v1`]);
    const sk = await OciLayout.open(path.join(dir, 'sk'));
    expect([await sk.has(normal.digest), await sk.has(foreign.digest)]).toEqual([true, false]);

    // A registry-to-registry copy goes through push: the foreign layer is not copied either.
    expect(await copyImage(client, `${registry.host}/nd/berth:v1`, `${registry.host}/nd/copy:v1`)).toBe(img.descriptor.digest);
    expect([await registryHas('nd/copy', normal.digest), await registryHas('nd/copy', foreign.digest)]).toEqual([true, false]);

    // Asked for, the layer is fetched from the registry, which does not have it: a typed error.
    await expect(pullToLayout(client, `${registry.host}/nd/berth:v1`, path.join(dir, 'all'), { nonDistributable: true })).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_BERTH_/),
    });
  },
);
