import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { digestOf } from '@berth/spec';
import { Store, TEMP_PREFIX } from '@berth/store';
import { layerTar } from './helpers/layers';
import { addImage, buildImage } from './helpers/image';

let root = '';
let store: Store;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'berth-check-'));
  store = new Store({ root });
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Runs crash-child until it has written half of `file`, then kills it with SIGKILL. */
function killMidway(mode: 'ingest' | 'unpack', file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'helpers', 'crash-child.js'), mode, root, file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}`))));
  });
}

const BIG_LAYER = layerTar(Array.from({ length: 40 }, (_, i) => ({ type: 'file' as const, name: `f${i}`, data: Buffer.alloc(64 * 1024, i) })));

describe('system check', () => {
  test('kill -9 during ingest and unpack: check finds the leftovers, repairs them, and the retry completes', async () => {
    const file = path.join(root, '..', `${path.basename(root)}.layer`);
    writeFileSync(file, BIG_LAYER);
    try {
      await killMidway('ingest', file);
      await killMidway('unpack', file);
    } finally {
      rmSync(file, { force: true });
    }
    const digest = digestOf(BIG_LAYER);
    // nothing appears under a final name
    expect(await store.content.has(digest)).toBe(false);
    expect(await store.snapshots.has(digest)).toBe(false);
    expect(readdirSync(path.join(root, 'blobs', 'sha256')).every((n) => n.startsWith(TEMP_PREFIX))).toBe(true);

    const report = await store.check({ dryRun: true });
    expect(report.problems.map((p) => p.kind).sort()).toEqual(['temp', 'temp']);
    expect(report.problems.every((p) => !p.repaired)).toBe(true);
    const repaired = await store.check();
    expect(repaired.problems.every((p) => p.repaired)).toBe(true);
    expect(readdirSync(path.join(root, 'blobs', 'sha256'))).toEqual([]);
    expect(readdirSync(path.join(root, 'snapshots'))).toEqual([]);

    await store.content.ingest(Readable.from([BIG_LAYER]), { digest });
    await store.snapshots.ensure({
      chainId: digest,
      diffId: digest,
      parent: null,
      layer: 'retry',
      open: () => store.content.open(digest),
    });
    expect(readdirSync(path.join(store.snapshots.fsPath(digest))).length).toBe(40);
    expect((await store.check({ verifyBlobs: true })).problems).toEqual([]);
  });

  test('a retry after kill -9 (under a lease, as a pull does) completes and leaves nothing for check', async () => {
    const file = path.join(root, '..', `${path.basename(root)}.layer2`);
    writeFileSync(file, BIG_LAYER);
    try {
      await killMidway('ingest', file);
      await killMidway('unpack', file);
    } finally {
      rmSync(file, { force: true });
    }
    const digest = digestOf(BIG_LAYER);
    await store.withLease(async (lease) => {
      await lease.protect(digest);
      await store.content.ingest(Readable.from([BIG_LAYER]), { digest });
      await store.snapshots.ensure({ chainId: digest, diffId: digest, parent: null, layer: 'retry', open: () => store.content.open(digest) });
    });
    expect((await store.check({ dryRun: true })).problems).toEqual([]);
    expect(readdirSync(path.join(root, 'blobs', 'sha256'))).toEqual([digest.slice(7)]);
  });

  test('finds and repairs orphan snapshots, bad short links, incomplete images and root filesystems', async () => {
    const image = buildImage([layerTar([{ type: 'file', name: 'a', data: 'a' }]), layerTar([{ type: 'file', name: 'b', data: 'b' }])]);
    await addImage(store, image, ['app']);
    const [base, top] = await store.unpackImage(image.manifestDigest);
    const other = buildImage([layerTar([{ type: 'file', name: 'c', data: 'c' }])]);
    await addImage(store, other, ['other']);
    // damage: the base snapshot vanishes (its child is orphaned), a link dangles,
    // a blob of another image vanishes, a root filesystem lost its meta.json, a blob is corrupt
    rmSync(store.snapshots.dir(base.chainId), { recursive: true });
    writeFileSync(path.join(root, 'l', 'deadbeefdeadbeef'), '');
    const otherLayer = [...other.blobs.keys()][0];
    unlinkSync(store.content.path(otherLayer));
    mkdirSync(path.join(root, 'rootfs', 'half', 'upper'), { recursive: true });
    writeFileSync(store.content.path(image.configDigest), '{"tampered":true}');
    writeFileSync(`${path.join(root, 'store.lock')}.break`, '999999999 1\n');

    const kinds = (await store.check({ verifyBlobs: true })).problems.map((p) => `${p.kind} ${p.repaired}`).sort();
    expect(kinds).toEqual([
      'corrupt-blob true',
      'incomplete-image true',
      'incomplete-image true',
      'incomplete-rootfs true',
      'orphan-snapshot true',
      'short-link true',
      'short-link true',
      'stale-lock true',
    ]);
    expect(await store.snapshots.has(top.chainId)).toBe(false);
    expect(existsSync(path.join(root, 'rootfs', 'half'))).toBe(false);
    expect(await store.images.list()).toEqual([]);
    expect((await store.check()).problems).toEqual([]);
  });
});
