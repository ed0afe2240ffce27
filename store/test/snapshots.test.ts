import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { DigestMismatchError, digestOf, type Digest } from '@berth/spec';
import { BreakoutError, NotFoundError, Store, chainIdOfDirName, chainIds, snapshotDirName } from '@berth/store';
import { layerTar } from './helpers/layers';

let root = '';
let store: Store;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'berth-snap-'));
  store = new Store({ root });
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const source = (blob: Buffer, diffId: Digest, parent: Digest | null = null, chainId?: Digest) => ({
  chainId: chainId ?? (parent === null ? diffId : digestOf(`${parent} ${diffId}`)),
  diffId,
  parent,
  layer: digestOf(blob),
  open: async () => Readable.from([blob]),
});

describe('snapshots', () => {
  test('chain IDs follow image-spec: sha256 of "<parent chain ID> <diff ID>"', () => {
    const d = [digestOf('a'), digestOf('b'), digestOf('c')];
    const chain = chainIds(d);
    expect(chain[0]).toBe(d[0]);
    expect(chain[1]).toBe(digestOf(`${d[0]} ${d[1]}`));
    expect(chain[2]).toBe(digestOf(`${chain[1]} ${d[2]}`));
  });

  test('a sha512 diff ID names a base snapshot that list, GC and check handle', async () => {
    const tar = layerTar([{ type: 'file', name: 'a', data: 'a' }]);
    const diffId = digestOf(tar, 'sha512');
    await store.snapshots.ensure(source(tar, diffId));
    expect(snapshotDirName(diffId)).toBe(`sha512-${diffId.slice(7)}`);
    expect(chainIdOfDirName(snapshotDirName(diffId))).toBe(diffId);
    expect((await store.snapshots.list()).map((s) => s.chainId)).toEqual([diffId]);
    expect((await store.check()).problems).toEqual([]);
  });

  test('each layer is unpacked once; child after parent', async () => {
    const base = layerTar([{ type: 'file', name: 'a', data: 'a' }]);
    const child = layerTar([{ type: 'file', name: 'b', data: 'b' }]);
    const baseSrc = source(gzipSync(base), digestOf(base));
    const childSrc = source(child, digestOf(child), baseSrc.chainId);
    await expect(store.snapshots.ensure(childSrc)).rejects.toBeInstanceOf(NotFoundError);
    const first = await store.snapshots.ensure(baseSrc);
    expect(first.unpacked?.compression).toBe('gzip');
    expect((await store.snapshots.ensure(baseSrc)).unpacked).toBeUndefined();
    const second = await store.snapshots.ensure(childSrc);
    expect(second.info.parent).toBe(baseSrc.chainId);
    expect(await store.snapshots.ancestry(childSrc.chainId)).toEqual([childSrc.chainId, baseSrc.chainId]);
    await expect(store.snapshots.ensure({ ...childSrc, chainId: digestOf('wrong') })).rejects.toThrow(/does not follow/);
  });

  test('a refused or corrupt layer leaves no snapshot and no temp dir', async () => {
    const evil = layerTar([
      { type: 'file', name: 'ok', data: 'fine' },
      { type: 'symlink', name: 'up', linkname: '..' },
      { type: 'file', name: 'up/evil', data: 'x' },
    ]);
    await expect(store.snapshots.ensure(source(evil, digestOf(evil)))).rejects.toBeInstanceOf(BreakoutError);
    const good = layerTar([{ type: 'file', name: 'a', data: 'a' }]);
    await expect(store.snapshots.ensure(source(good, digestOf('not the diff id')))).rejects.toBeInstanceOf(DigestMismatchError);
    expect(readdirSync(path.join(root, 'snapshots'))).toEqual([]);
  });

  test("a symlink in a lower layer is never followed by an upper layer's entries", async () => {
    const outside = path.join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'passwd'), 'host');
    const lower = layerTar([{ type: 'symlink', name: 'etc', linkname: outside }]);
    const upper = layerTar([
      { type: 'file', name: 'etc/passwd', data: 'container' },
      { type: 'file', name: 'etc/.wh.shadow' },
      { type: 'hardlink', name: 'etc/group', linkname: 'etc/passwd' },
    ]);
    const lowerSrc = source(lower, digestOf(lower));
    await store.snapshots.ensure(lowerSrc);
    const upperSrc = source(upper, digestOf(upper), lowerSrc.chainId);
    await store.snapshots.ensure(upperSrc);
    expect(readFileSync(path.join(outside, 'passwd'), 'utf8')).toBe('host');
    expect(readdirSync(outside)).toEqual(['passwd']);
    expect(lstatSync(path.join(store.snapshots.fsPath(upperSrc.chainId), 'etc')).isDirectory()).toBe(true);
  });

  test('processes unpacking the same layer at once end with one snapshot', async () => {
    const tar = layerTar(Array.from({ length: 200 }, (_, i) => ({ type: 'file' as const, name: `d${i % 7}/f${i}`, data: `${i}` })));
    const file = path.join(root, 'layer.tar');
    writeFileSync(file, tar);
    const run = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(__dirname, 'helpers', 'ensure-child.js'), root, file], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}`))));
      });
    const results = await Promise.all([run(), run(), run()]);
    expect(results).toContain('unpacked');
    const digest = digestOf(tar);
    expect(readdirSync(path.join(root, 'snapshots'))).toEqual([digest.slice(7)]);
    expect(readdirSync(store.snapshots.fsPath(digest)).sort()).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6']);
    expect((await store.check()).problems).toEqual([]);
  });
});
