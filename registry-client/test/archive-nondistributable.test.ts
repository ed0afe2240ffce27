/**
 * Non-distributable (foreign) layers in archives: save and load keep their
 * descriptors (with urls) whether or not the blob is there; skopeo is the
 * oracle for what an archive without the blob looks like.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { DockerMediaType, OciMediaType, digestOf } from '@berth/spec';
import { OciLayout, loadToLayout, saveArchive } from '../src';
import { makeLayeredImage, type LayerSpec } from './helpers/layered';
import { tarOf } from './helpers/tar';
import { rmrf, tempDir } from './helpers/tmp';

const run = promisify(execFile);
const URLS = ['https://foreign.example.com/layer.tar.gz'];
const BASE = tarOf([{ name: 'base', data: Buffer.from('normal') }]);
const FOREIGN = tarOf([{ name: 'foreign', data: Buffer.from('licensed') }]);

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => rmrf(dir));

function specs(mediaType: string, omitBlob: boolean): LayerSpec[] {
  return [{ tar: BASE }, { tar: FOREIGN, mediaType, urls: URLS, omitBlob }];
}

async function manifestOf(layout: OciLayout, digest: string): Promise<{ layers: { digest: string; urls?: string[] }[] }> {
  return JSON.parse((await layout.readBlob(digest)).toString());
}

test('what skopeo writes to oci-archive: (foreign layer left out) loads with the descriptor and urls kept', async () => {
  const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
  const img = await makeLayeredImage(src, 'v1', specs(OciMediaType.LayerNonDistributableGzip, true));
  const archive = path.join(dir, 'sk.tar');
  await run('skopeo', ['copy', '-q', `oci:${src.dir}:v1`, `oci-archive:${archive}:v1`]);
  const { stdout } = await run('tar', ['-tf', archive]);
  expect(stdout).not.toContain(img.manifest.layers[1].digest.slice(7));

  const loaded = await loadToLayout(archive, path.join(dir, 'out'));
  expect(loaded[0].descriptor.digest).toBe(img.descriptor.digest);
  const out = await OciLayout.open(path.join(dir, 'out'));
  expect((await manifestOf(out, img.descriptor.digest)).layers[1]).toMatchObject({ digest: img.manifest.layers[1].digest, urls: URLS });
  expect([await out.has(img.manifest.layers[0].digest), await out.has(img.manifest.layers[1].digest)]).toEqual([true, false]);
});

test('save without the foreign blob: Docker LayerSources with urls, skopeo reads it, load keeps the descriptor', async () => {
  const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
  const img = await makeLayeredImage(src, 'v1', specs(DockerMediaType.ForeignLayerGzip, true));
  const archive = path.join(dir, 'save.tar');
  await saveArchive([{ reference: 'example.com/win:v1', descriptor: img.descriptor, source: src }], archive);
  const x = path.join(dir, 'x');
  await fs.mkdir(x);
  await run('tar', ['-xf', archive, '-C', x]);
  const [entry] = JSON.parse(await fs.readFile(path.join(x, 'manifest.json'), 'utf8'));
  expect(entry.LayerSources).toEqual({
    [digestOf(FOREIGN)]: { mediaType: DockerMediaType.ForeignLayerGzip, digest: img.manifest.layers[1].digest, size: img.manifest.layers[1].size, urls: URLS },
  });
  await expect(fs.access(path.join(x, 'blobs', 'sha256', img.manifest.layers[1].digest.slice(7)))).rejects.toThrow();

  // skopeo, reading the OCI side of the archive, copies it (skipping the foreign layer, as it does itself).
  await run('skopeo', ['copy', '-q', `oci-archive:${archive}:v1`, `oci:${dir}/sk:v1`]);
  const sk = await OciLayout.open(path.join(dir, 'sk'));
  expect((await sk.resolve('v1')).digest).toBe(img.descriptor.digest);

  const loaded = await loadToLayout(archive, path.join(dir, 'out'));
  expect(loaded[0].descriptor.digest).toBe(img.descriptor.digest);
  const out = await OciLayout.open(path.join(dir, 'out'));
  expect((await manifestOf(out, img.descriptor.digest)).layers[1]).toMatchObject({ urls: URLS });
  expect(await out.has(img.manifest.layers[1].digest)).toBe(false);
});

test('save with the foreign blob present carries it, and load stores it', async () => {
  const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
  const img = await makeLayeredImage(src, 'v1', specs(OciMediaType.LayerNonDistributableGzip, false));
  const archive = path.join(dir, 'save.tar');
  await saveArchive([{ reference: 'example.com/win:v1', descriptor: img.descriptor, source: src }], archive);
  await loadToLayout(archive, path.join(dir, 'out'));
  const out = await OciLayout.open(path.join(dir, 'out'));
  expect((await out.readBlob(img.manifest.layers[1].digest)).equals(img.blobs[1])).toBe(true);
});

test('a docker save archive with LayerSources and the uncompressed foreign layer.tar loads with the foreign descriptor', async () => {
  const foreignGz = gzipSync(FOREIGN);
  const foreignDesc = { mediaType: DockerMediaType.ForeignLayerGzip, digest: digestOf(foreignGz), size: foreignGz.length, urls: URLS };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'windows', rootfs: { type: 'layers', diff_ids: [digestOf(FOREIGN), digestOf(BASE)] } }));
  const configName = `${digestOf(config).slice(7)}.json`;
  const archive = path.join(dir, 'docker.tar');
  const manifest = [{ Config: configName, RepoTags: ['win:1'], Layers: ['f/layer.tar', 'b/layer.tar'], LayerSources: { [digestOf(FOREIGN)]: foreignDesc } }];
  await fs.writeFile(
    archive,
    tarOf([
      { name: configName, data: config },
      { name: 'f/layer.tar', data: FOREIGN },
      { name: 'b/layer.tar', data: BASE },
      { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
    ]),
  );
  const loaded = await loadToLayout(archive, path.join(dir, 'out'));
  const out = await OciLayout.open(path.join(dir, 'out'));
  const m = await manifestOf(out, loaded[0].descriptor.digest);
  expect(m.layers[0]).toEqual(foreignDesc);
  expect(m.layers[1].digest).toBe(digestOf(BASE));
  expect([await out.has(foreignDesc.digest), await out.has(digestOf(BASE))]).toEqual([false, true]);

  // A foreign layer.tar whose content is not the diffID the config names is refused.
  const bad = [{ ...manifest[0], Layers: ['b/layer.tar', 'b/layer.tar'] }];
  await fs.writeFile(archive, tarOf([{ name: configName, data: config }, { name: 'b/layer.tar', data: BASE }, { name: 'manifest.json', data: Buffer.from(JSON.stringify(bad)) }]));
  await expect(loadToLayout(archive, path.join(dir, 'bad'))).rejects.toMatchObject({ code: 'ERR_BERTH_DIGEST_MISMATCH' });
});
