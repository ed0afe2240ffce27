import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { digestOf } from '@berth/spec';
import { S_IF, mknod } from '@berth/sys';
import { Store } from '@berth/store';
import { fsyncTree, syncTree } from '../src/sync';
import { layerTar } from './helpers/layers';

let root = '';
let store: Store;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'berth-snapsync-'));
  store = new Store({ root });
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('snapshot durability and concurrent unpacks', () => {
  test('concurrent ensure() of the same layer unpacks it once (the others wait, then find it done); no lock or temp dir left', async () => {
    const tar = layerTar([
      { type: 'file', name: 'a', data: 'a'.repeat(100_000) },
      { type: 'file', name: 'b', data: 'b' },
    ]);
    const diffId = digestOf(tar);
    let opened = 0;
    const src = {
      chainId: diffId,
      diffId,
      parent: null,
      layer: digestOf(tar),
      open: async () => {
        opened++;
        return Readable.from([tar.subarray(0, 512), tar.subarray(512)]);
      },
    };
    const results = await Promise.all([store.snapshots.ensure(src), store.snapshots.ensure(src), new Store({ root }).snapshots.ensure(src)]);
    expect(opened).toBe(1);
    expect(results.filter((r) => r.unpacked !== undefined)).toHaveLength(1);
    expect(new Set(results.map((r) => r.info.created)).size).toBe(1);
    expect(readdirSync(path.join(root, 'snapshots'))).toEqual([diffId.slice(7)]);
    expect(readdirSync(path.join(root, 'locks'))).toEqual([]);
    expect((await store.check()).problems).toEqual([]);
  });

  test('a lock left by a dead process does not block the unpack', async () => {
    const tar = layerTar([{ type: 'file', name: 'a', data: 'a' }]);
    const diffId = digestOf(tar);
    mkdirSync(path.join(root, 'locks'), { recursive: true });
    // pid 2^22+1 cannot exist (pid_max is at most 2^22)
    writeFileSync(path.join(root, 'locks', `unpack-${diffId.slice(7)}.lock`), '4194305 1\n');
    const r = await store.snapshots.ensure({ chainId: diffId, diffId, parent: null, layer: 'x', open: async () => Readable.from([tar]) });
    expect(r.unpacked).toBeDefined();
    expect(readdirSync(path.join(root, 'locks'))).toEqual([]);
  });

  test('syncTree and fsyncTree flush a tree with files, dirs, symlinks, fifos and whiteouts', async () => {
    const dir = path.join(root, 't');
    mkdirSync(path.join(dir, 'd/e'), { recursive: true });
    writeFileSync(path.join(dir, 'd/e/f'), 'x');
    symlinkSync('/nonexistent', path.join(dir, 'dangling'));
    mknod(path.join(dir, 'fifo'), S_IF.FIFO | 0o600);
    mknod(path.join(dir, 'wh'), S_IF.CHR | 0o000, 0, 0);
    await expect(fsyncTree(dir)).resolves.toBeUndefined();
    await expect(syncTree(dir)).resolves.toBeUndefined();
    await expect(syncTree(path.join(root, 'missing'))).rejects.toThrow(/sync --file-system .*missing/);
    expect(existsSync(path.join(dir, 'd/e/f'))).toBe(true);
  });
});
