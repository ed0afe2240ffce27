// The fixtures are checked against the reference tools: umoci unpacks the OCI
// layout, skopeo reads (and copies, which verifies every digest) both the
// layout and the docker-save tarball.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciMediaType, digestOf, imageIndex, imageManifest, hostPlatform } from '@berth/spec';
import {
  DEFAULT_BUSYBOX,
  FIXTURE_EPOCH,
  FixtureError,
  buildFixtureImage,
  gzipDeterministic,
  makeBusyboxRootfs,
  makeDockerSaveTarball,
  makeOciLayout,
  writeEntries,
} from '@berth/test';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'berth-fixtures-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every file under dir, relative path -> sha256. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const path = join(dir, name);
    if (lstatSync(path).isFile()) out[name] = digestOf(readFileSync(path));
  }
  return out;
}

const applets = run(DEFAULT_BUSYBOX, ['--list-full'])
  .split('\n')
  // busybox lists itself; linuxrc is an initrd entry point, left out on purpose
  .filter((l) => l !== '' && l !== 'linuxrc' && l !== 'bin/busybox');

describe('busybox rootfs', () => {
  test('has busybox, applet links, passwd/group and the usual directories, all with fixed metadata', async () => {
    const root = await makeBusyboxRootfs(join(tmp, 'rootfs'));
    expect(readFileSync(join(root, 'bin/busybox')).equals(readFileSync(DEFAULT_BUSYBOX))).toBe(true);
    expect(readlinkSync(join(root, 'bin/sh'))).toBe('busybox');
    expect(readlinkSync(join(root, 'usr/bin/awk'))).toBe('../../bin/busybox');
    expect(applets.length).toBeGreaterThan(200);
    const links = applets.filter((applet) => lstatSync(join(root, applet)).isSymbolicLink());
    expect(links).toEqual(applets);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0:root:\/root:\/bin\/sh$/m);
    expect(readFileSync(join(root, 'etc/group'), 'utf8')).toMatch(/^root:x:0:$/m);
    for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc', 'root']) expect(lstatSync(join(root, d)).isDirectory()).toBe(true);
    expect(lstatSync(join(root, 'tmp')).mode & 0o7777).toBe(0o1777);
    for (const p of ['', 'bin', 'bin/busybox', 'bin/sh', 'etc/passwd', 'usr/bin']) {
      const st = lstatSync(join(root, p));
      expect([p, Math.floor(st.mtimeMs / 1000), st.uid, st.gid]).toEqual([p, FIXTURE_EPOCH, 0, 0]);
    }
  });

  test('runs: the applet links resolve inside the root (chroot)', () => {
    const root = join(tmp, 'rootfs');
    expect(run('chroot', [root, '/bin/sh', '-c', 'echo $((6*7)); awk "BEGIN{print \\"awk ok\\"}"; id -un'])).toBe('42\nawk ok\nroot\n');
  });

  test('refuses entries that escape the root', async () => {
    await expect(writeEntries(join(tmp, 'escape'), [{ type: 'file', path: '../outside', data: 'x' }])).rejects.toThrow(FixtureError);
    await expect(writeEntries(join(tmp, 'escape'), [{ type: 'file', path: '../outside', data: 'x' }])).rejects.toThrow(
      /entry \.\.\/outside escapes/,
    );
  });

  test('a missing busybox is a FixtureError that says what to install', () => {
    expect(() => buildFixtureImage({ busybox: join(tmp, 'no-busybox') })).toThrow(
      `${join(tmp, 'no-busybox')} not found: install Debian's busybox-static`,
    );
  });
});

describe('OCI image layout', () => {
  let a: Awaited<ReturnType<typeof makeOciLayout>>;
  let b: Awaited<ReturnType<typeof makeOciLayout>>;

  beforeAll(async () => {
    a = await makeOciLayout(join(tmp, 'oci-a'));
    b = await makeOciLayout(join(tmp, 'oci-b'));
  });

  test('is byte-for-byte the same in two directories and on a second build', () => {
    expect(b).toEqual({ ...a, dir: b.dir });
    expect(tree(a.dir)).toEqual(tree(b.dir));
    const again = buildFixtureImage();
    expect(again.manifestDigest).toBe(a.manifestDigest);
    // the gzip of the layer is not a cached accident: recompressing gives the same bytes
    expect(digestOf(gzipDeterministic(again.layerTars[0] as Buffer))).toBe(a.layers[0]?.digest);
  });

  test('is a valid layout whose blobs match their digests', () => {
    expect(JSON.parse(readFileSync(join(a.dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = imageIndex.parse(readFileSync(join(a.dir, 'index.json')));
    expect(index.manifests).toEqual([
      {
        mediaType: OciMediaType.ImageManifest,
        digest: a.manifestDigest,
        size: a.manifestSize,
        platform: { architecture: hostPlatform().architecture, os: 'linux' },
        annotations: { 'org.opencontainers.image.ref.name': 'latest' },
      },
    ]);
    for (const [name, digest] of Object.entries(tree(join(a.dir, 'blobs')))) expect(`sha256:${name.slice('sha256/'.length)}`).toBe(digest);
    const manifest = imageManifest.parse(readFileSync(join(a.dir, 'blobs/sha256', a.manifestDigest.slice(7))));
    expect(manifest.layers.map((l) => l.digest)).toEqual(a.layers.map((l) => l.digest));
    expect(a.config.config?.Cmd).toEqual(['sh']);
    expect(a.config.rootfs.diff_ids).toEqual(a.layers.map((l) => l.diffId));
  });

  test('skopeo reads it and copies it (verifying every blob)', () => {
    const info = JSON.parse(run('skopeo', ['inspect', `oci:${a.dir}:latest`])) as { Digest: string; Layers: string[]; Architecture: string; Os: string };
    expect(info.Digest).toBe(a.manifestDigest);
    expect(info.Layers).toEqual(a.layers.map((l) => l.digest));
    expect([info.Os, info.Architecture]).toEqual(['linux', a.config.architecture]);
    expect(digestOf(run('skopeo', ['inspect', '--raw', '--config', `oci:${a.dir}:latest`]))).toBe(a.configDigest);
    run('skopeo', ['copy', '--quiet', `oci:${a.dir}:latest`, `dir:${join(tmp, 'copied-oci')}`]);
    expect(readdirSync(join(tmp, 'copied-oci'))).toContain(a.layers[0]?.digest.slice(7));
  });

  test('umoci unpacks it into a runnable bundle', () => {
    const bundle = join(tmp, 'bundle');
    run('umoci', ['unpack', '--image', `${a.dir}:latest`, bundle]);
    const rootfs = join(bundle, 'rootfs');
    expect(readFileSync(join(rootfs, 'bin/busybox')).equals(readFileSync(DEFAULT_BUSYBOX))).toBe(true);
    expect(readlinkSync(join(rootfs, 'bin/sh'))).toBe('busybox');
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[]; env: string[] } };
    expect(config.process.args).toEqual(['sh']);
    expect(config.process.env).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(run('chroot', [rootfs, 'sh', '-c', 'echo unpacked'])).toBe('unpacked\n');
  });

  test('takes more layers, config and tags; a second image joins the same layout', async () => {
    const v2 = await makeOciLayout(a.dir, {
      tag: 'v2',
      extraLayers: [{ 'etc/motd': 'hello\n' }, { 'usr/share/doc/x/readme': 'x' }],
      config: { Cmd: ['cat', '/etc/motd'], Env: ['A=1'] },
    });
    expect(v2.layers).toHaveLength(3);
    expect(v2.layers[0]).toEqual(a.layers[0]);
    expect(v2.manifestDigest).not.toBe(a.manifestDigest);
    const index = imageIndex.parse(readFileSync(join(a.dir, 'index.json')));
    expect(index.manifests.map((m) => [m.annotations?.['org.opencontainers.image.ref.name'], m.digest])).toEqual([
      ['latest', a.manifestDigest],
      ['v2', v2.manifestDigest],
    ]);
    const info = JSON.parse(run('skopeo', ['inspect', `oci:${a.dir}:v2`])) as { Digest: string; Layers: string[] };
    expect(info.Digest).toBe(v2.manifestDigest);
    expect(info.Layers).toHaveLength(3);
    const bundle = join(tmp, 'bundle-v2');
    run('umoci', ['unpack', '--image', `${a.dir}:v2`, bundle]);
    expect(readFileSync(join(bundle, 'rootfs/etc/motd'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(bundle, 'rootfs/usr/share/doc/x/readme'), 'utf8')).toBe('x');
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[] } };
    expect(config.process.args).toEqual(['cat', '/etc/motd']);
  });

  test('an extra layer given as tar entries can delete with a whiteout', async () => {
    const image = await makeOciLayout(join(tmp, 'oci-whiteout'), {
      extraLayers: [[{ type: 'file', path: 'etc/.wh.group', data: '' }, { type: 'hardlink', path: 'bin/bb', target: 'bin/busybox' }]],
    });
    expect(image.layers).toHaveLength(2);
    const bundle = join(tmp, 'bundle-whiteout');
    run('umoci', ['unpack', '--image', `${image.dir}:latest`, bundle]);
    expect(readdirSync(join(bundle, 'rootfs/etc')).sort()).toEqual(['passwd']);
    expect(lstatSync(join(bundle, 'rootfs/bin/bb')).ino).toBe(lstatSync(join(bundle, 'rootfs/bin/busybox')).ino);
  });

  test('uncompressed layers and another platform', async () => {
    const plain = await makeOciLayout(join(tmp, 'oci-plain'), {
      compression: 'none',
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    expect(plain.layers[0]?.mediaType).toBe(OciMediaType.Layer);
    expect(plain.layers[0]?.digest).toBe(plain.layers[0]?.diffId);
    const info = JSON.parse(run('skopeo', ['inspect', '--override-arch', 'arm64', `oci:${plain.dir}:latest`])) as {
      Architecture: string;
      Digest: string;
    };
    expect(info).toMatchObject({ Architecture: 'arm64', Digest: plain.manifestDigest });
  });
});

describe('docker save tarball', () => {
  test('is the same twice, and skopeo reads and copies it', async () => {
    const first = await makeDockerSaveTarball(join(tmp, 'a.tar'));
    const second = await makeDockerSaveTarball(join(tmp, 'b.tar'));
    expect(second).toEqual({ ...first, file: second.file });
    expect(readFileSync(first.file).equals(readFileSync(second.file))).toBe(true);
    expect(first.repoTag).toBe('busybox:latest');

    const listing = run('tar', ['-tf', first.file]).split('\n').filter(Boolean);
    expect(listing).toEqual([
      `${first.layers[0]?.id}/`,
      `${first.layers[0]?.id}/VERSION`,
      `${first.layers[0]?.id}/json`,
      `${first.layers[0]?.id}/layer.tar`,
      `${first.configDigest.slice(7)}.json`,
      'manifest.json',
      'repositories',
    ]);
    const manifest = JSON.parse(run('tar', ['-xOf', first.file, 'manifest.json'])) as unknown;
    expect(manifest).toEqual([
      { Config: `${first.configDigest.slice(7)}.json`, RepoTags: ['busybox:latest'], Layers: [`${first.layers[0]?.id}/layer.tar`] },
    ]);

    const info = JSON.parse(run('skopeo', ['inspect', `docker-archive:${first.file}`])) as { Layers: string[]; Architecture: string };
    expect(info.Layers).toEqual(first.layers.map((l) => l.diffId));
    expect(digestOf(run('skopeo', ['inspect', '--raw', '--config', `docker-archive:${first.file}`]))).toBe(first.configDigest);
    // the image is the same one as in the OCI layout fixture
    expect(first.configDigest).toBe(buildFixtureImage({ compression: 'none' }).configDigest);
    run('skopeo', ['copy', '--quiet', `docker-archive:${first.file}:busybox:latest`, `oci:${join(tmp, 'from-archive')}:latest`]);
    expect(readdirSync(join(tmp, 'from-archive/blobs/sha256'))).toContain(first.configDigest.slice(7));
  });

  test('names other repositories in familiar form and layers chain by parent', async () => {
    const saved = await makeDockerSaveTarball(join(tmp, 'c.tar'), {
      repository: 'docker.io/library/app',
      tag: 'v1',
      extraLayers: [{ 'etc/motd': 'hi\n' }],
    });
    expect(saved.repoTag).toBe('app:v1');
    expect(saved.layers).toHaveLength(2);
    const json = JSON.parse(run('tar', ['-xOf', saved.file, `${saved.layers[1]?.id}/json`])) as { parent: string };
    expect(json.parent).toBe(saved.layers[0]?.id);
    expect(JSON.parse(run('tar', ['-xOf', saved.file, 'repositories']))).toEqual({ app: { v1: saved.layers[1]?.id } });
    const local = await makeDockerSaveTarball(join(tmp, 'd.tar'), { repository: 'localhost:5000/a/b' });
    expect(local.repoTag).toBe('localhost:5000/a/b:latest');
    const info = JSON.parse(run('skopeo', ['inspect', `docker-archive:${saved.file}`])) as { Layers: string[] };
    expect(info.Layers).toEqual(saved.layers.map((l) => l.diffId));
  });

  test('rejects a repository with a tag', async () => {
    await expect(makeDockerSaveTarball(join(tmp, 'e.tar'), { repository: 'app:v1' })).rejects.toThrow(
      'repository "app:v1" must not carry a tag or digest; use the tag option',
    );
  });
});
