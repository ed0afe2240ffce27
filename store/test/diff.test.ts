import {
  chmodSync,
  chownSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { digestOf } from '@berth/spec';
import { S_IF, mknod, setXattr } from '@berth/sys';
import { Store, diffTar, readTar, writeDiff, type TarHeader } from '@berth/store';
import { describeTree, layerTar } from './helpers/layers';
import { addImage, buildImage } from './helpers/image';

let root = '';
let store: Store;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'berth-diff-'));
  store = new Store({ root });
});

afterEach(async () => {
  for (const r of await store.rootfs.list()) await store.rootfs.remove(r.id);
  rmSync(root, { recursive: true, force: true });
});

const BASE = layerTar([
  { type: 'dir', name: 'etc', mode: 0o755 },
  { type: 'file', name: 'etc/motd', data: 'hello' },
  { type: 'file', name: 'etc/hosts', data: '127.0.0.1 localhost' },
  { type: 'dir', name: 'var/lib/app', mode: 0o750, uid: 5 },
  { type: 'file', name: 'var/lib/app/old1', data: '1' },
  { type: 'file', name: 'var/lib/app/old2', data: '2' },
  { type: 'file', name: 'usr/bin/tool', data: 'tool', mode: 0o755 },
  { type: 'symlink', name: 'usr/bin/alias', linkname: 'tool' },
]);

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of gen) parts.push(c);
  return Buffer.concat(parts);
}

async function headers(tar: Buffer): Promise<TarHeader[]> {
  const out: TarHeader[] = [];
  for await (const { header } of readTar(Readable.from([tar]), 'diff')) out.push(header);
  return out;
}

async function container(id: string, layers: Buffer[]): Promise<string> {
  const image = buildImage(layers);
  await addImage(store, image);
  const snaps = await store.unpackImage(image.manifestDigest);
  await store.rootfs.create(id, snaps.map((s) => s.chainId));
  return (await store.rootfs.mount(id)).merged;
}

describe('diff', () => {
  test('round trip: unpack(diff(upper)) over the lower gives the merged tree', async () => {
    const merged = await container('c1', [BASE]);
    // changes a RUN step would make
    unlinkSync(path.join(merged, 'etc/motd'));
    rmSync(path.join(merged, 'var/lib/app'), { recursive: true });
    mkdirSync(path.join(merged, 'var/lib/app'), 0o700);
    writeFileSync(path.join(merged, 'var/lib/app/new'), 'fresh');
    writeFileSync(path.join(merged, 'etc/hosts'), '10.0.0.1 db');
    chmodSync(path.join(merged, 'usr/bin/tool'), 0o4711);
    writeFileSync(path.join(merged, 'usr/bin/new'), 'x'.repeat(3000));
    linkSync(path.join(merged, 'usr/bin/new'), path.join(merged, 'usr/bin/new-link'));
    symlinkSync('/etc/hosts', path.join(merged, 'etc/hosts.link'));
    mkdirSync(path.join(merged, 'dev'));
    mknod(path.join(merged, 'dev/null'), S_IF.CHR | 0o666, 1, 3);
    mknod(path.join(merged, 'dev/fifo'), S_IF.FIFO | 0o600);
    writeFileSync(path.join(merged, 'etc/owned'), 'o');
    chownSync(path.join(merged, 'etc/owned'), 1000, 100);
    setXattr(path.join(merged, 'etc/owned'), 'user.note', Buffer.from([0xff, 0]));
    const expected = describeTree(merged);
    const upper = store.rootfs.paths('c1').upper;
    await store.rootfs.unmount('c1');

    const tar = await collect(diffTar(upper));
    const names = (await headers(tar)).map((h) => `${h.type}:${h.name}`);
    expect(names).toContain('file:etc/.wh.motd');
    expect(names).toContain('dir:var/lib/app/');
    expect(names).toContain('file:var/lib/app/.wh..wh..opq');
    expect(names).toContain('hardlink:usr/bin/new-link');
    expect(names).not.toContain('file:etc/motd');
    // deterministic: the same upper dir gives the same bytes
    expect(digestOf(await collect(diffTar(upper)))).toBe(digestOf(tar));

    const merged2 = await container('c2', [BASE, tar]);
    expect(describeTree(merged2)).toEqual(expected);
  });

  test('writeDiff stores a gzip layer with its diff ID', async () => {
    const merged = await container('c3', [BASE]);
    writeFileSync(path.join(merged, 'added'), 'a');
    await store.rootfs.unmount('c3');
    const upper = store.rootfs.paths('c3').upper;
    const result = await writeDiff(upper, store.content);
    expect(result.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    const tar = await collect(diffTar(upper));
    expect(result.diffId).toBe(digestOf(tar));
    expect(await store.content.verify(result.digest)).toBe(true);
    const plain = await writeDiff(upper, store.content, { compression: 'none' });
    expect(plain.digest).toBe(result.diffId);
  });
});
