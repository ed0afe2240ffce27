/**
 * Archives and the layers inside them: binary PAX xattrs survive save/load
 * byte for byte (tar-stream decoded them as UTF-8), and a truncated archive
 * is a typed error that stores nothing.
 */
import { execFile } from 'node:child_process';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { readTar } from '@berth/spec';
import { OciLayout, loadToLayout, saveArchive } from '../src';
import { makeLayeredImage } from './helpers/layered';
import { tarOf } from './helpers/tar';
import { rmrf, tempDir } from './helpers/tmp';

const run = promisify(execFile);

const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex'); // cap_net_bind_service, effective
const BIN = Buffer.from([0x00, 0x80, 0xff, 0xfe, 0x0a, 0x3d, 0xc3, 0x28]); // not UTF-8 at all

async function xattrsOf(layer: Buffer): Promise<Map<string, Map<string, Buffer>>> {
  const out = new Map<string, Map<string, Buffer>>();
  for await (const { header } of readTar(Readable.from([gunzipSync(layer)]), 'layer')) out.set(header.name, header.xattrs);
  return out;
}

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => rmrf(dir));

test('binary security.capability and user xattrs survive save → load, and skopeo copy of the saved archive', async () => {
  const layer = tarOf([
    { name: 'bin/', type: 'dir', mode: 0o755 },
    { name: 'bin/ping', data: Buffer.from('elf'), mode: 0o755, xattrs: new Map([['security.capability', CAP], ['user.bin', BIN]]) },
  ]);
  const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
  const img = await makeLayeredImage(src, 'v1', [{ tar: layer }]);
  const tarball = path.join(dir, 'save.tar');
  await saveArchive([{ reference: 'example.com/caps:v1', descriptor: img.descriptor, source: src }], tarball);

  const loaded = await loadToLayout(tarball, path.join(dir, 'loaded'));
  expect(loaded[0].descriptor.digest).toBe(img.descriptor.digest);
  const out = await OciLayout.open(path.join(dir, 'loaded'));
  const xattrs = (await xattrsOf(await out.readBlob(img.manifest.layers[0].digest))).get('bin/ping');
  expect(xattrs?.get('security.capability')).toEqual(CAP);
  expect(xattrs?.get('user.bin')).toEqual(BIN);

  // skopeo as the oracle: it re-reads our archive, recompresses the layer, and the tar stream (diffID) is untouched.
  await run('skopeo', ['copy', '-q', `docker-archive:${tarball}:example.com/caps:v1`, `oci:${dir}/sk:v1`]);
  const sk = await OciLayout.open(path.join(dir, 'sk'));
  const skManifest = JSON.parse((await sk.readBlob((await sk.resolve('v1')).digest)).toString()) as typeof img.manifest;
  const skXattrs = (await xattrsOf(await sk.readBlob(skManifest.layers[0].digest))).get('bin/ping');
  expect(skXattrs?.get('security.capability')).toEqual(CAP);
  expect(skXattrs?.get('user.bin')).toEqual(BIN);
});

test('a truncated archive is a typed error naming where it ends, and stores nothing', async () => {
  const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
  const img = await makeLayeredImage(src, 'v1', [{ tar: tarOf([{ name: 'f', data: Buffer.alloc(20_000, 7) }]) }]);
  const tarball = path.join(dir, 'save.tar');
  await saveArchive([{ reference: 'example.com/t:v1', descriptor: img.descriptor, source: src }], tarball);
  const whole = await fs.readFile(tarball);
  for (const cut of [700, Math.floor(whole.length / 2), whole.length - 1024 - 300]) {
    const file = path.join(dir, `cut-${cut}.tar`);
    await fs.writeFile(file, whole.subarray(0, cut));
    const dest = path.join(dir, `dest-${cut}`);
    await expect(loadToLayout(createReadStream(file), dest)).rejects.toMatchObject({
      code: 'ERR_BERTH_ARCHIVE',
      message: expect.stringMatching(/truncated|missing from the archive/),
    });
    expect(await fs.readdir(path.join(dest, 'blobs', 'sha256'))).toEqual([]);
  }
});

test('a zstd-compressed archive loads; a corrupt one is a typed error that stores nothing', async () => {
  const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
  const img = await makeLayeredImage(src, 'v1', [{ tar: tarOf([{ name: 'f', data: Buffer.from('zstd') }]) }]);
  const tarball = path.join(dir, 'save.tar');
  await saveArchive([{ reference: 'example.com/z:v1', descriptor: img.descriptor, source: src }], tarball);
  await run('zstd', ['-q', tarball, '-o', `${tarball}.zst`]);
  const loaded = await loadToLayout(`${tarball}.zst`, path.join(dir, 'z'));
  expect(loaded[0].descriptor.digest).toBe(img.descriptor.digest);

  const zst = await fs.readFile(`${tarball}.zst`);
  await fs.writeFile(`${tarball}.bad.zst`, zst.subarray(0, Math.floor(zst.length / 2)));
  await expect(loadToLayout(`${tarball}.bad.zst`, path.join(dir, 'bad'))).rejects.toMatchObject({ code: 'ERR_BERTH_ARCHIVE' });
  expect(await fs.readdir(path.join(dir, 'bad', 'blobs', 'sha256'))).toEqual([]);
});
