import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { digestOf } from '@berth/spec';
import { NotFoundError, Store, chainIds, snapshotDirName, type LayerSource } from '@berth/store';
import { layerTar } from './helpers/layers';

let root = '';
let store: Store;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'berth-snapbatch-'));
  store = new Store({ root });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A base layer with dir `d` (mode 0700) and a child that adds `d/f` without listing `d`. */
function twoLayers(): LayerSource[] {
  const base = layerTar([
    { type: 'dir', name: 'd', mode: 0o700 },
    { type: 'file', name: 'd/a', data: 'a' },
  ]);
  const child = layerTar([{ type: 'file', name: 'd/f', data: 'child' }]);
  const [c0, c1] = chainIds([digestOf(base), digestOf(child)]);
  return [
    { chainId: c0, diffId: digestOf(base), parent: null, layer: 'base', open: async () => Readable.from([base]) },
    { chainId: c1, diffId: digestOf(child), parent: c0, layer: 'child', open: async () => Readable.from([child]) },
  ];
}

const named = (): string[] => readdirSync(path.join(root, 'snapshots')).filter((n) => !n.startsWith('.'));
const temps = (): string[] => readdirSync(path.join(root, 'snapshots')).filter((n) => n.startsWith('.'));

test('a batch unpacks a child onto its pending parent; nothing has its final name until commit', async () => {
  const [base, child] = twoLayers();
  const batch = store.snapshots.batch();
  expect((await batch.ensure(base)).unpacked).toBeDefined();
  const r = await batch.ensure(child);
  expect(r.unpacked).toBeDefined();
  // Both unpacked, neither named yet: a crash here leaves only temp dirs.
  expect(named()).toEqual([]);
  expect(temps()).toHaveLength(2);
  await batch.commit();
  expect(named().sort()).toEqual([snapshotDirName(base.chainId), snapshotDirName(child.chainId)].sort());
  expect(temps()).toEqual([]);
  expect(readFileSync(path.join(store.snapshots.fsPath(child.chainId), 'd/f'), 'utf8')).toBe('child');
  // `d` came from the pending parent's temp dir: the child's copy keeps its 0700 mode.
  expect(statSync(path.join(store.snapshots.fsPath(child.chainId), 'd')).mode & 0o777).toBe(0o700);
  expect(await store.snapshots.ancestry(child.chainId)).toEqual([child.chainId, base.chainId]);
  expect(existsSync(store.snapshots.linkPath(child.chainId))).toBe(true);
  expect(readdirSync(path.join(root, 'locks'))).toEqual([]);
  expect((await store.check()).problems).toEqual([]);
  // Again: found, not unpacked.
  const again = store.snapshots.batch();
  expect((await again.ensure(base)).unpacked).toBeUndefined();
  await again.commit();
});

test('abort discards the pending snapshots and releases their locks; a missing parent is refused', async () => {
  const [base, child] = twoLayers();
  await expect(store.snapshots.batch().ensure(child)).rejects.toBeInstanceOf(NotFoundError);
  const batch = store.snapshots.batch();
  await batch.ensure(base);
  await batch.ensure(child);
  await batch.abort();
  expect(named()).toEqual([]);
  expect(temps()).toEqual([]);
  expect(readdirSync(path.join(root, 'locks'))).toEqual([]);
  // The same layers unpack afterwards (no lock left behind).
  expect((await store.snapshots.ensure(base)).unpacked).toBeDefined();
});
