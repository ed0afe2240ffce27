// Big files are written from the thread pool (store/src/file-writes.ts): their
// bytes, metadata and clean-up must be those of the synchronous path.
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { digestOf } from '@berth/spec';
import { LayerError, unpackLayer } from '@berth/store';
import { ASYNC_WRITE_MIN } from '../src/file-writes';
import { useTempDir } from './helpers/tmp';
import { describeTree, layerTar } from './helpers/layers';

const tmp = useTempDir('berth-unpack-writes-');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const openFds = (): number => readdirSync('/proc/self/fd').length;

/** The blob in uneven chunks, so file bodies straddle them. */
function chunked(blob: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let off = 0, n = 1; off < blob.length; n = (n * 7919) % 300_007) {
    const size = 1 + (n % 200_000);
    parts.push(blob.subarray(off, off + size));
    off += size;
  }
  return Readable.from(parts);
}

describe('unpackLayer writes big files from the thread pool', () => {
  test('contents, owners, setuid/setgid modes, mtimes, hard links and replacement match the tar', async () => {
    const big = randomBytes(3 * ASYNC_WRITE_MIN + 123);
    const other = randomBytes(ASYNC_WRITE_MIN);
    const tar = layerTar([
      { type: 'file', name: 'bin/suid', mode: 0o4755, uid: 1000, gid: 1000, data: big, mtime: 1_500_000_000 },
      { type: 'file', name: 'bin/sgid', mode: 0o2750, uid: 0, gid: 42, data: other },
      { type: 'file', name: 'root-owned', mode: 0o640, data: big },
      { type: 'hardlink', name: 'bin/suid.link', linkname: 'bin/suid' },
      { type: 'file', name: 'replaced', mode: 0o644, data: big },
      { type: 'file', name: 'replaced', mode: 0o600, data: other },
      { type: 'file', name: 'small', data: 'small' },
    ]);
    const dest = path.join(tmp.dir, 'fs');
    mkdirSync(dest);
    const before = openFds();
    const result = await unpackLayer(chunked(gzipSync(tar, { level: 1 })), dest, { layer: 'big', diffId: digestOf(tar) });
    expect(openFds()).toBe(before);
    expect(result.contentSize).toBe(2 * big.length + 2 * other.length + big.length + 5);
    const tree = describeTree(dest, { mtime: true });
    expect(tree['bin/suid']).toMatchObject({ mode: '4755', uid: 1000, gid: 1000, sha256: sha(big), mtime: 1_500_000_000 });
    expect(tree['bin/sgid']).toMatchObject({ mode: '2750', uid: 0, gid: 42, sha256: sha(other) });
    expect(tree['root-owned']).toMatchObject({ mode: '640', uid: 0, gid: 0, sha256: sha(big) });
    expect(statSync(path.join(dest, 'bin/suid.link')).ino).toBe(statSync(path.join(dest, 'bin/suid')).ino);
    expect(tree.replaced).toMatchObject({ mode: '600', sha256: sha(other) });
    expect(readFileSync(path.join(dest, 'small'), 'utf8')).toBe('small');
  });

  test('many big files in a row (descriptor numbers reused while earlier files still close)', async () => {
    const files = Array.from({ length: 100 }, (_, i) => ({ name: `f${i}`, data: randomBytes(2 * ASYNC_WRITE_MIN + i) }));
    const tar = layerTar(files.map((f) => ({ type: 'file' as const, ...f })));
    const dest = path.join(tmp.dir, 'fs');
    mkdirSync(dest);
    const before = openFds();
    await unpackLayer(Readable.from([gzipSync(tar, { level: 1 })]), dest, { layer: 'many', diffId: digestOf(tar) });
    expect(openFds()).toBe(before);
    for (const f of files) expect([f.name, sha(readFileSync(path.join(dest, f.name)))]).toEqual([f.name, sha(f.data)]);
  });

  test('a root-owned entry under a setgid directory of another group still gets group 0', async () => {
    const dest = path.join(tmp.dir, 'fs');
    mkdirSync(dest);
    chownSync(dest, 0, 4242);
    chmodSync(dest, 0o2755);
    const tar = layerTar([
      { type: 'file', name: 'd/big', data: randomBytes(ASYNC_WRITE_MIN) },
      { type: 'file', name: 'small', data: 'x' },
      { type: 'symlink', name: 'link', linkname: 'small' },
      { type: 'dir', name: 'd' },
    ]);
    await unpackLayer(Readable.from([tar]), dest, { layer: 'sgid' });
    for (const name of ['d', 'd/big', 'small', 'link']) expect([name, lstatSync(path.join(dest, name)).gid]).toEqual([name, 0]);
  });

  test('an archive that ends inside a big file is a LayerError and leaves no descriptor open', async () => {
    const tar = layerTar([
      { type: 'file', name: 'first', data: randomBytes(2 * ASYNC_WRITE_MIN) },
      { type: 'file', name: 'cut', data: randomBytes(8 * ASYNC_WRITE_MIN) },
    ]);
    const dest = path.join(tmp.dir, 'fs');
    mkdirSync(dest);
    const before = openFds();
    await expect(unpackLayer(chunked(tar.subarray(0, tar.length - 4 * ASYNC_WRITE_MIN)), dest, { layer: 'cut' })).rejects.toBeInstanceOf(LayerError);
    expect(openFds()).toBe(before);
  });

  test('a full disk fails the unpack with ENOSPC and leaves no descriptor open', async () => {
    const mnt = path.join(tmp.dir, 'small');
    mkdirSync(mnt);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', `berth-test-${process.pid}`, mnt]);
    expect(mounted.status).toBe(0);
    try {
      const tar = layerTar([{ type: 'file', name: 'huge', data: randomBytes(4 << 20) }]);
      const before = openFds();
      await expect(unpackLayer(Readable.from([tar]), mnt, { layer: 'huge' })).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(openFds()).toBe(before);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
