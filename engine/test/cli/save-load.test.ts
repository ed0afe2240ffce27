import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { makeOciLayout } from '@berth/test';
import { startRegistry, type TestRegistry } from '../../../registry-client/test/helpers/registry';
import { berth, buildCli, rmrf, seedImage, tempDir } from '../helpers';

let registry: TestRegistry;
let root: string;
let work: string;
let ref: string;

beforeAll(async () => {
  buildCli();
  registry = await startRegistry();
  await seedImage(registry.host, 'busybox', 'latest', { extraLayers: [{ 'etc/motd': 'hello\n' }] });
  ref = `${registry.host}/busybox:latest`;
}, 120_000);

afterAll(async () => {
  await registry?.stop();
});

beforeEach(async () => {
  root = tempDir('berth-engine-root-');
  work = tempDir('berth-engine-work-');
  expect((await berth(['--root', root, 'pull', '-q', ref])).code).toBe(0);
});
afterEach(() => {
  rmrf(root);
  rmrf(work);
});

const inspect = async (r: string, name: string): Promise<{ Id: string; Descriptor: { digest: string } }> =>
  (JSON.parse((await berth(['--root', r, 'image', 'inspect', name])).stdout) as [{ Id: string; Descriptor: { digest: string } }])[0];

describe('berth save and load', () => {
  it('save -o then load -i round-trips every digest and the names, and the layers are unpacked', async () => {
    expect((await berth(['--root', root, 'tag', ref, 'app:2'])).code).toBe(0);
    const file = path.join(work, 'images.tar');
    expect(await berth(['--root', root, 'save', '-o', file, ref, 'app:2'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readdirSync(work)).toEqual(['images.tar']); // no temp file left beside it
    const manifestJson = JSON.parse(
      (await promisify(execFile)('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' })).stdout,
    ) as [{ RepoTags: string[]; Layers: string[] }];
    expect(manifestJson[0].RepoTags.sort()).toEqual([ref, 'app:2'].sort());
    expect(manifestJson[0].Layers).toHaveLength(2);

    const other = tempDir('berth-engine-root2-');
    try {
      const r = await berth(['--root', other, 'load', '-i', file]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n').sort()).toEqual([`Loaded image: ${ref}`, 'Loaded image: app:2'].sort());
      const before = await inspect(root, ref);
      const after = await inspect(other, 'app:2');
      expect(after.Id).toBe(before.Id);
      expect(after.Descriptor.digest).toBe(before.Descriptor.digest);
      expect(readdirSync(path.join(root, 'blobs/sha256')).sort()).toEqual(readdirSync(path.join(other, 'blobs/sha256')).sort());
      const snaps = readdirSync(path.join(other, 'snapshots')).filter((n) => !n.startsWith('.'));
      expect(snaps).toHaveLength(2);
      const motd = snaps.map((s) => path.join(other, 'snapshots', s, 'fs/etc/motd')).find((f) => {
        try {
          return readFileSync(f, 'utf8') === 'hello\n';
        } catch {
          return false;
        }
      });
      expect(motd).toBeDefined();
    } finally {
      rmrf(other);
    }
  });

  it('save to a pipe and load from stdin; an archive written by skopeo loads', async () => {
    const file = path.join(work, 'piped.tar');
    const saved = await promisify(execFile)('sh', ['-c', `"${process.execPath}" engine/bin/berth.js --root "${root}" save "${ref}" > "${file}"`], {
      cwd: path.resolve(__dirname, '../../..'),
    });
    expect(saved.stderr).toBe('');
    const other = tempDir('berth-engine-root2-');
    try {
      const loaded = await promisify(execFile)('sh', ['-c', `"${process.execPath}" engine/bin/berth.js --root "${other}" load < "${file}"`], {
        cwd: path.resolve(__dirname, '../../..'),
      });
      expect(loaded.stdout).toBe(`Loaded image: ${ref}\n`);

      const skopeoTar = path.join(work, 'skopeo.tar');
      await promisify(execFile)('skopeo', ['copy', '-q', `docker-archive:${file}:${ref}`, `docker-archive:${skopeoTar}:skopeo/img:2`]);
      const r = await berth(['--root', other, 'load', '-i', skopeoTar]);
      expect(r).toEqual({ code: 0, stdout: 'Loaded image: skopeo/img:2\n', stderr: '' });
      expect((await inspect(other, 'skopeo/img:2')).Id).toBe((await inspect(root, ref)).Id);
    } finally {
      rmrf(other);
    }
  });

  it('loads an OCI layout directory; unnamed images are reported by ID', async () => {
    const dir = path.join(work, 'layout');
    await makeOciLayout(dir, { tag: 'latest' });
    const r = await berth(['--root', root, 'load', '-i', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Loaded image ID: sha256:[0-9a-f]{64}\n$/);
    const id = r.stdout.trim().split(': ')[1];
    expect((await berth(['--root', root, 'images', '-q', '--no-trunc'])).stdout).toContain(id);
  });

  it('fails with exit 1 and stores nothing for a missing image or a broken archive', async () => {
    const missing = await berth(['--root', root, 'save', '-o', path.join(work, 'x.tar'), 'nope']);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'Error: No such image: nope\n' });
    expect(readdirSync(work)).toEqual([]);
    const junk = path.join(work, 'junk.tar');
    writeFileSync(junk, 'not a tarball');
    const before = readdirSync(path.join(root, 'blobs/sha256')).sort();
    const bad = await berth(['--root', root, 'load', '-i', junk]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: .*junk\.tar/);
    expect(readdirSync(path.join(root, 'blobs/sha256')).sort()).toEqual(before);
  });
});
