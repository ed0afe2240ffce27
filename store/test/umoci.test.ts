/**
 * Differential test: an image with whiteouts, opaque directories, hard links,
 * symlinks, xattrs, setuid files and device nodes, unpacked by berth
 * (snapshots + overlay mount) and by `umoci unpack`; the container's merged
 * root must equal umoci's rootfs entry by entry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildFixtureImage } from '@berth/test';
import { Store } from '@berth/store';
import { describeTree, layerTar } from './helpers/layers';
import { addImage, buildImage, writeOciLayout } from './helpers/image';

const CAP = Buffer.alloc(20);
CAP.writeUInt32LE(0x02000001, 0);
CAP.writeUInt32LE(1 << 10, 4);

let dir = '';
let store: Store | undefined;

afterEach(async () => {
  await store?.rootfs.remove('diff');
  rmSync(dir, { recursive: true, force: true });
});

test('merged root of a berth container equals umoci unpack of the same image', async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-umoci-'));
  const busybox = buildFixtureImage().layerTars[0];
  const rich = layerTar([
    { type: 'dir', name: 'bin', mode: 0o755 },
    { type: 'file', name: 'bin/ping', mode: 0o4755, data: 'suid', xattrs: new Map([['security.capability', CAP]]) },
    { type: 'file', name: 'bin/sg', mode: 0o2711, gid: 42, data: 'sgid' },
    { type: 'dir', name: 'scratch', mode: 0o1777 },
    { type: 'dir', name: 'home/user', mode: 0o700, uid: 1000, gid: 1000 },
    { type: 'file', name: 'home/user/notes', mode: 0o600, uid: 1000, gid: 1000, data: 'n'.repeat(5000) },
    { type: 'hardlink', name: 'home/user/notes.hard', linkname: 'home/user/notes' },
    { type: 'symlink', name: 'home/user/link', linkname: '../../etc/passwd', uid: 1000, gid: 1000 },
    { type: 'dir', name: 'etc', mode: 0o750, gid: 4 },
    { type: 'dir', name: 'opt/app', mode: 0o710, uid: 7 },
    { type: 'file', name: 'etc/attr', data: 'a', xattrs: new Map([['user.berth', Buffer.from([0, 0xff, 1])]]) },
    { type: 'dir', name: 'dev/extra' },
    { type: 'char', name: 'dev/extra/null', mode: 0o666, devmajor: 1, devminor: 3 },
    { type: 'block', name: 'dev/extra/loop9', mode: 0o660, gid: 6, devmajor: 7, devminor: 9 },
    { type: 'fifo', name: 'dev/extra/fifo', mode: 0o600 },
    { type: 'dir', name: 'opt/app/cache', mode: 0o755 },
    { type: 'file', name: 'opt/app/cache/a', data: 'a' },
    { type: 'file', name: 'opt/app/cache/b', data: 'b' },
    { type: 'file', name: 'opt/app/config', data: 'v1' },
  ]);
  const changes = layerTar([
    // no entry for etc/ or opt/app/: berth must keep their attributes from below
    { type: 'file', name: 'etc/.wh.attr' },
    { type: 'file', name: 'bin/.wh.sg' },
    { type: 'file', name: 'opt/app/cache/.wh..wh..opq' },
    { type: 'file', name: 'opt/app/cache/c', data: 'c' },
    { type: 'file', name: 'opt/app/config', data: 'v2', mode: 0o640 },
    { type: 'dir', name: 'home/user', mode: 0o750, uid: 1000, gid: 1000 },
    { type: 'file', name: 'home/user/.wh.link' },
    { type: 'symlink', name: 'home/user/notes.hard', linkname: 'notes' },
  ]);
  const image = buildImage([busybox, rich, changes]);
  store = new Store({ root: path.join(dir, 'store') });
  await addImage(store, image, ['diff:latest']);
  const snaps = await store.unpackImage(image.manifestDigest);
  await store.rootfs.create('diff', snaps.map((s) => s.chainId));
  const { merged } = await store.rootfs.mount('diff');

  writeOciLayout(path.join(dir, 'layout'), image, 'latest');
  const umoci = spawnSync('umoci', ['unpack', '--image', `${path.join(dir, 'layout')}:latest`, path.join(dir, 'bundle')], {
    encoding: 'utf8',
  });
  expect(umoci.stderr).not.toMatch(/error/i);
  expect(umoci.status).toBe(0);

  const ours = describeTree(merged);
  const theirs = describeTree(path.join(dir, 'bundle', 'rootfs'));
  expect(Object.keys(ours).length).toBeGreaterThan(250);
  expect(ours).toEqual(theirs);
  // spot checks, so that a broken comparison cannot hide a broken unpack
  expect(ours['bin/sg']).toBeUndefined();
  expect(ours['etc/attr']).toBeUndefined();
  expect(ours['opt/app/cache/c']).toBeDefined();
  expect(ours['opt/app/cache/a']).toBeUndefined();
  expect(ours['bin/ping'].xattrs).toEqual({ 'security.capability': CAP.toString('hex') });
  expect(ours['home/user'].mode).toBe('750');
  expect(ours.etc).toMatchObject({ mode: '750', gid: 4 });
  expect(ours['opt/app']).toMatchObject({ mode: '710', uid: 7 });
});
