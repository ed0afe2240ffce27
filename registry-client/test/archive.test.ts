import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { OciLayout, loadArchive, loadToLayout, saveArchive, type ContentSink } from '../src';
import { makeImage, randomTar, type FixtureImage } from './helpers/images';
import { tarOf } from './helpers/tar';
import { rmrf, tempDir } from './helpers/tmp';

const run = promisify(execFile);
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Lists what a layout holds, for "nothing stored" checks. */
async function blobCount(dir: string): Promise<number> {
  return (await fs.readdir(path.join(dir, 'blobs', 'sha256')).catch(() => [])).length;
}

describe('docker save / OCI layout archives', () => {
  let dir: string;
  let src: OciLayout;
  let img: FixtureImage;
  beforeEach(async () => {
    dir = await tempDir();
    src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    img = await makeImage(src, 'v1', [5000, 7000]);
  });
  afterEach(() => rmrf(dir));

  test('save writes both formats in one tarball and load round-trips digests and names', async () => {
    const tarball = path.join(dir, 'out.tar');
    await saveArchive(
      [
        { reference: 'example.com/team/app:v1', descriptor: img.descriptor, source: src },
        { reference: 'busybox', descriptor: img.descriptor, source: src },
      ],
      tarball,
    );
    const { stdout } = await run('tar', ['-tf', tarball]);
    const names = stdout.trim().split('\n');
    expect(names).toEqual(expect.arrayContaining(['oci-layout', 'index.json', 'manifest.json', 'repositories', `blobs/sha256/${img.descriptor.digest.slice(7)}`]));
    const extracted = path.join(dir, 'x');
    await fs.mkdir(extracted);
    await run('tar', ['-xf', tarball, '-C', extracted]);
    const manifestJson = JSON.parse(await fs.readFile(path.join(extracted, 'manifest.json'), 'utf8'));
    expect(manifestJson).toEqual([
      {
        Config: `blobs/sha256/${img.manifest.config.digest.slice(7)}`,
        RepoTags: ['example.com/team/app:v1', 'busybox:latest'],
        Layers: img.manifest.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      },
    ]);
    const index = JSON.parse(await fs.readFile(path.join(extracted, 'index.json'), 'utf8'));
    expect(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations)).toEqual([
      { 'io.containerd.image.name': 'example.com/team/app:v1', 'org.opencontainers.image.ref.name': 'v1' },
      { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' },
    ]);
    expect(JSON.parse(await fs.readFile(path.join(extracted, 'repositories'), 'utf8'))).toEqual({
      'example.com/team/app': { v1: img.manifest.layers[1].digest.slice(7) },
      busybox: { latest: img.manifest.layers[1].digest.slice(7) },
    });

    const loaded = await loadToLayout(tarball, path.join(dir, 'loaded'));
    expect(loaded.map((l) => [l.names, l.descriptor.digest])).toEqual([
      [['example.com/team/app:v1'], img.descriptor.digest],
      [['docker.io/library/busybox:latest'], img.descriptor.digest],
    ]);
    const out = await OciLayout.open(path.join(dir, 'loaded'));
    expect((await out.readBlob(img.manifest.layers[0].digest)).equals(img.layers[0])).toBe(true);
    expect((await out.resolve('docker.io/library/busybox:latest')).digest).toBe(img.descriptor.digest);
  });

  test('skopeo reads berth save output as docker-archive and oci-archive', async () => {
    const tarball = path.join(dir, 'out.tar');
    await saveArchive([{ reference: 'example.com/app:v1', descriptor: img.descriptor, source: src }], tarball);
    const { stdout: raw } = await run('skopeo', ['inspect', '--raw', `oci-archive:${tarball}:v1`]);
    expect(Buffer.from(raw).equals(img.manifestBytes)).toBe(true);
    const { stdout: config } = await run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${tarball}`]);
    expect(sha(Buffer.from(config))).toBe(img.manifest.config.digest);
    await run('skopeo', ['copy', '-q', `docker-archive:${tarball}:example.com/app:v1`, `oci:${dir}/sk:v1`]);
    const sk = await OciLayout.open(path.join(dir, 'sk'));
    const m = JSON.parse((await sk.readBlob((await sk.resolve('v1')).digest)).toString());
    // skopeo re-serialises the config as OCI and recompresses the layers; the diffIDs stay.
    expect(m.layers).toHaveLength(2);
    const skConfig = JSON.parse((await sk.readBlob(m.config.digest)).toString());
    expect(skConfig.rootfs).toEqual(JSON.parse(img.configBytes.toString()).rootfs);
  });

  test('umoci unpacks the saved tarball as an OCI layout', async () => {
    const tarball = path.join(dir, 'out.tar');
    await saveArchive([{ reference: 'example.com/app:v1', descriptor: img.descriptor, source: src }], tarball);
    const x = path.join(dir, 'x');
    await fs.mkdir(x);
    await run('tar', ['-xf', tarball, '-C', x]);
    const { stdout } = await run('umoci', ['ls', '--layout', x]);
    expect(stdout.trim()).toBe('v1');
    await run('umoci', ['unpack', '--image', `${x}:v1`, path.join(dir, 'bundle')]);
    expect((await fs.readFile(path.join(dir, 'bundle', 'rootfs', 'file0'))).length).toBe(5000);
  });

  test('berth loads what skopeo wrote as docker-archive and oci-archive, and an OCI layout directory', async () => {
    const dockerTar = path.join(dir, 'sk-docker.tar');
    const ociTar = path.join(dir, 'sk-oci.tar');
    await run('skopeo', ['copy', '-q', `oci:${src.dir}:v1`, `docker-archive:${dockerTar}:example.com/sk/app:v2`]);
    await run('skopeo', ['copy', '-q', `oci:${src.dir}:v1`, `oci-archive:${ociTar}:example.com/sk/app:v3`]);

    const fromDocker = await loadToLayout(dockerTar, path.join(dir, 'a'));
    expect(fromDocker).toHaveLength(1);
    expect(fromDocker[0].names).toEqual(['example.com/sk/app:v2']);
    const a = await OciLayout.open(path.join(dir, 'a'));
    const manifest = JSON.parse((await a.readBlob(fromDocker[0].descriptor.digest)).toString());
    expect(manifest.config.digest).toBe(img.manifest.config.digest);

    const fromOci = await loadToLayout(ociTar, path.join(dir, 'b'));
    expect(fromOci.map((l) => [l.names, l.descriptor.digest])).toEqual([[['example.com/sk/app:v3'], img.descriptor.digest]]);

    const fromDir = await loadToLayout(src.dir, path.join(dir, 'c'));
    expect(fromDir[0].descriptor.digest).toBe(img.descriptor.digest);
  });

  test('an index whose other platforms are absent loads the platform that is there', async () => {
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { ...img.descriptor, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: img.descriptor.mediaType, digest: sha(Buffer.from('absent')), size: 6, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    };
    const bytes = Buffer.from(JSON.stringify(index));
    await src.putBlob(bytes, sha(bytes));
    await src.addManifest({ mediaType: index.mediaType, digest: sha(bytes), size: bytes.length }, 'multi');
    const loaded = await loadToLayout(src.dir, path.join(dir, 'm'));
    expect(loaded.map((l) => l.descriptor.digest)).toEqual([img.descriptor.digest, sha(bytes)]);
    const m = await OciLayout.open(path.join(dir, 'm'));
    expect(await m.has(img.manifest.layers[0].digest)).toBe(true);
  });

  test('a gzip-compressed OCI layout tar loads', async () => {
    const tarball = path.join(dir, 'out.tar');
    await saveArchive([{ reference: 'app:v1', descriptor: img.descriptor, source: src }], tarball);
    const gz = path.join(dir, 'out.tar.gz');
    await fs.writeFile(gz, zlib.gzipSync(await fs.readFile(tarball)));
    const loaded = await loadToLayout(createReadStream(gz), path.join(dir, 'z'));
    expect(loaded[0].descriptor.digest).toBe(img.descriptor.digest);
  });

  test('the legacy docker save layout (<id>/layer.tar, json, VERSION) loads with verified diffIDs', async () => {
    const base = await randomTar('a', 300);
    const top = await randomTar('b', 400);
    const baseId = 'a'.repeat(64);
    const topId = 'b'.repeat(64);
    const tarball = tarOf([
      { name: `${baseId}/VERSION`, data: Buffer.from('1.0') },
      { name: `${baseId}/json`, data: Buffer.from(JSON.stringify({ id: baseId, created: '2016-01-01T00:00:00Z', os: 'linux', architecture: 'amd64' })) },
      { name: `${baseId}/layer.tar`, data: base },
      { name: `${topId}/VERSION`, data: Buffer.from('1.0') },
      { name: `${topId}/json`, data: Buffer.from(JSON.stringify({ id: topId, parent: baseId, os: 'linux', architecture: 'amd64', config: { Cmd: ['sh'] } })) },
      { name: `${topId}/layer.tar`, data: top },
      { name: 'repositories', data: Buffer.from(JSON.stringify({ oldimage: { '1.0': topId } })) },
    ]);
    await fs.writeFile(path.join(dir, 'legacy.tar'), tarball);
    const loaded = await loadToLayout(path.join(dir, 'legacy.tar'), path.join(dir, 'l'));
    expect(loaded[0].names).toEqual(['docker.io/library/oldimage:1.0']);
    const l = await OciLayout.open(path.join(dir, 'l'));
    const manifest = JSON.parse((await l.readBlob(loaded[0].descriptor.digest)).toString());
    expect(manifest.layers.map((x: { digest: string }) => x.digest)).toEqual([sha(base), sha(top)]);
    const config = JSON.parse((await l.readBlob(manifest.config.digest)).toString());
    expect(config.rootfs.diff_ids).toEqual([sha(base), sha(top)]);
    expect(config.config).toEqual({ Cmd: ['sh'] });
  });

  test.each([
    ['an entry that climbs out of the root', [{ name: '../evil', data: Buffer.from('x') }], /outside the extraction root/],
    ['an absolute entry', [{ name: '/etc/evil', data: Buffer.from('x') }], /absolute path/],
    ['a hard link to outside the root', [{ name: 'manifest.json', type: 'hardlink' as const, linkname: '../../etc/passwd' }], /outside the extraction root/],
    ['a name that climbs out after a symlink', [{ name: 'up', type: 'symlink' as const, linkname: '..' }, { name: 'a/../../evil', data: Buffer.from('x') }], /outside the extraction root/],
  ])('refuses %s and stores nothing', async (_name, entries, message) => {
    const file = path.join(dir, 'bad.tar');
    await fs.writeFile(file, tarOf(entries));
    await expect(loadToLayout(file, path.join(dir, 'dest'))).rejects.toMatchObject({ code: 'ERR_BERTH_ARCHIVE', message: expect.stringMatching(message) });
    expect(await blobCount(path.join(dir, 'dest'))).toBe(0);
    await expect(fs.access(path.join(dir, 'evil'))).rejects.toThrow();
  });

  test('a file entry under a name that is already a file is a typed error', async () => {
    const file = path.join(dir, 'bad.tar');
    await fs.writeFile(file, tarOf([{ name: 'a', data: Buffer.from('x') }, { name: 'a/b', data: Buffer.from('y') }]));
    await expect(loadToLayout(file, path.join(dir, 'dest'))).rejects.toMatchObject({ code: 'ERR_BERTH_ARCHIVE', message: expect.stringContaining('cannot extract') });
  });

  test('a file that is not a tar is a typed error', async () => {
    const file = path.join(dir, 'junk.tar');
    await fs.writeFile(file, Buffer.alloc(3000, 7));
    await expect(loadToLayout(file, path.join(dir, 'dest'))).rejects.toMatchObject({ code: 'ERR_BERTH_ARCHIVE' });
  });

  test('a symlink pointing outside the archive is refused', async () => {
    const file = path.join(dir, 'bad.tar');
    await fs.writeFile(file, tarOf([{ name: 'manifest.json', type: 'symlink' as const, linkname: '../../etc/passwd' }]));
    await expect(loadToLayout(file, path.join(dir, 'dest'))).rejects.toMatchObject({ code: 'ERR_BERTH_ARCHIVE' });
  });

  test('a layer whose diffID does not match the config is refused and nothing is stored', async () => {
    const other = await randomTar('zzz', 100);
    const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [sha(Buffer.from('not it'))] } }));
    const file = path.join(dir, 'bad.tar');
    await fs.writeFile(
      file,
      tarOf([
        { name: `${sha(config).slice(7)}.json`, data: config },
        { name: 'l/layer.tar', data: other },
        { name: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: `${sha(config).slice(7)}.json`, RepoTags: ['x:1'], Layers: ['l/layer.tar'] }])) },
      ]),
    );
    const stored: string[] = [];
    const sink: ContentSink = {
      has: async () => false,
      writer: async (d) => {
        stored.push(d.digest);
        throw new Error('must not be called');
      },
    };
    await expect(loadArchive(file, sink)).rejects.toMatchObject({ code: 'ERR_BERTH_DIGEST_MISMATCH', message: expect.stringContaining('diffID of layer 0') });
    expect(stored).toEqual([]);
  });

  test('a blob that does not match its name in an OCI layout is refused', async () => {
    const tarball = path.join(dir, 'out.tar');
    await saveArchive([{ reference: 'app:v1', descriptor: img.descriptor, source: src }], tarball);
    const x = path.join(dir, 'x');
    await fs.mkdir(x);
    await run('tar', ['-xf', tarball, '-C', x]);
    await fs.writeFile(path.join(x, 'blobs', 'sha256', img.manifest.layers[0].digest.slice(7)), Buffer.from('tampered'));
    await expect(loadToLayout(x, path.join(dir, 'dest'))).rejects.toMatchObject({ code: 'ERR_BERTH_DIGEST_MISMATCH' });
    expect(await blobCount(path.join(dir, 'dest'))).toBe(0);
  });
});
