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

test('begin unpacks layers side by side; a directory the child only implies takes its attributes once the parent is done', async () => {
  const [base, child] = twoLayers();
  const baseTar = Buffer.concat(await (async () => {
    const out: Buffer[] = [];
    for await (const c of await base.open()) out.push(Buffer.from(c));
    return out;
  })());
  let releaseBase!: () => void;
  const baseGate = new Promise<void>((resolve) => (releaseBase = resolve));
  let childRead!: () => void;
  const childAllRead = new Promise<void>((resolve) => (childRead = resolve));
  let baseDone = false;
  const batch = store.snapshots.batch();
  const b = await batch.begin({
    ...base,
    // half the base, then nothing until the child has been read through
    open: async () =>
      Readable.from(
        (async function* () {
          yield baseTar.subarray(0, 512);
          await baseGate;
          yield baseTar.subarray(512);
        })(),
      ),
  });
  void b.done.then(() => (baseDone = true));
  const c = await batch.begin({
    ...child,
    open: async () => {
      const inner = await child.open();
      return Readable.from(
        (async function* () {
          for await (const chunk of inner) yield chunk as Buffer;
          childRead();
        })(),
      );
    },
  });
  // The child's bytes are all read while its parent is still unpacking...
  await childAllRead;
  expect(baseDone).toBe(false);
  releaseBase();
  const [rb, rc] = await Promise.all([b.done, c.done]);
  expect(rb.unpacked).toBeDefined();
  expect(rc.unpacked).toBeDefined();
  await batch.commit();
  // ...and `d`, which only the parent lists, still got the parent's 0700 in the child.
  expect(statSync(path.join(store.snapshots.fsPath(child.chainId), 'd')).mode & 0o777).toBe(0o700);
  expect(readFileSync(path.join(store.snapshots.fsPath(child.chainId), 'd/f'), 'utf8')).toBe('child');
  expect(temps()).toEqual([]);
});

test('a layer whose stream is not verified in the end is not kept (no snapshot, no temp, no lock)', async () => {
  const [base] = twoLayers();
  const tar = await base.open();
  const failed = Promise.reject(new Error('the blob did not match its digest'));
  const batch = store.snapshots.batch();
  await expect(batch.ensure({ ...base, open: async () => Object.assign(tar, { verified: failed }) })).rejects.toThrow(/did not match/);
  await batch.abort();
  expect(named()).toEqual([]);
  expect(temps()).toEqual([]);
  expect(readdirSync(path.join(root, 'locks'))).toEqual([]);
});

test('an unpack whose source says to reopen after a failure unpacks again from a fresh open', async () => {
  const [base] = twoLayers();
  const restarted = new Error('restarted');
  let opens = 0;
  const r = await store.snapshots.ensure({
    ...base,
    open: async () => {
      opens++;
      if (opens > 1) return base.open();
      return Readable.from(
        (async function* () {
          yield Buffer.alloc(512);
          throw restarted;
        })(),
      );
    },
    reopen: (err) => err === restarted,
  });
  expect(opens).toBe(2);
  expect(r.unpacked).toBeDefined();
  expect(readFileSync(path.join(store.snapshots.fsPath(base.chainId), 'd/a'), 'utf8')).toBe('a');
  expect(temps()).toEqual([]);
});
