import { existsSync, mkdirSync, statSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Store, isMountPoint, removeTree, type LowerdirStyle } from '@berth/store';
import { layerTar } from './helpers/layers';
import { addImage, buildImage } from './helpers/image';

let root = '';
let store: Store;
const mounted: string[] = [];

function useRoot(name: string): void {
  root = mkdtempSync(path.isAbsolute(name) ? name : path.join(tmpdir(), name));
  store = new Store({ root });
}

afterEach(async () => {
  for (const id of mounted.splice(0)) await store.rootfs.remove(id);
  rmSync(root, { recursive: true, force: true });
});

async function mountImage(layers: Buffer[], id: string, options: { volatile?: boolean } = {}): Promise<{ merged: string; style: LowerdirStyle }> {
  const image = buildImage(layers);
  await addImage(store, image, ['app:latest']);
  const snaps = await store.unpackImage(image.manifestDigest);
  await store.rootfs.create(id, snaps.map((s) => s.chainId));
  mounted.push(id);
  return store.rootfs.mount(id, options);
}

/** The super options of the mount at `target` (the last field of its mountinfo line). */
function superOptions(target: string): string {
  const line = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[4] === target);
  if (!line) throw new Error(`${target} is not mounted`);
  return line.split(' ').pop()!;
}

describe('container root filesystems on overlayfs', () => {
  test('snapshots of an image stack up, whiteouts and opaque dirs hide lower content, writes go to upper', async () => {
    useRoot('berth-rootfs-');
    const { merged, style } = await mountImage(
      [
        layerTar([
          { type: 'file', name: 'etc/motd', data: 'hello' },
          { type: 'file', name: 'etc/keep', data: 'keep' },
          { type: 'file', name: 'var/cache/old1', data: '1' },
          { type: 'file', name: 'var/cache/old2', data: '2' },
        ]),
        layerTar([
          { type: 'file', name: 'etc/.wh.motd' },
          { type: 'file', name: 'var/cache/.wh..wh..opq' },
          { type: 'file', name: 'var/cache/new', data: 'new' },
        ]),
      ],
      'c1',
    );
    expect(style).toBe('full');
    expect(isMountPoint(merged)).toBe(true);
    expect(readdirSync(path.join(merged, 'etc'))).toEqual(['keep']);
    expect(readdirSync(path.join(merged, 'var/cache'))).toEqual(['new']);
    writeFileSync(path.join(merged, 'etc/added'), 'x');
    expect(readFileSync(path.join(root, 'rootfs/c1/upper/etc/added'), 'utf8')).toBe('x');
    // the snapshots are untouched by container writes
    const snaps = await store.snapshots.list();
    expect(snaps.length).toBe(2);
    for (const s of snaps) expect(existsSync(path.join(store.snapshots.fsPath(s.chainId), 'etc/added'))).toBe(false);
    await store.rootfs.unmount('c1');
    expect(isMountPoint(merged)).toBe(false);
    await store.rootfs.unmount('c1'); // idempotent
  });

  test('the same layers are unpacked once for two images and two containers', async () => {
    useRoot('berth-rootfs-');
    const base = layerTar([{ type: 'file', name: 'base', data: 'b' }]);
    await mountImage([base, layerTar([{ type: 'file', name: 'one', data: '1' }])], 'a');
    await mountImage([base, layerTar([{ type: 'file', name: 'two', data: '2' }])], 'b');
    expect((await store.snapshots.list()).length).toBe(3);
    expect(readdirSync(path.join(root, 'rootfs/b/merged')).sort()).toEqual(['base', 'two']);
  });

  const many = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => layerTar([{ type: 'file', name: `layer-${i}`, data: String(i) }]));

  test('a lowerdir list too long for a page uses the short l/ links', async () => {
    useRoot(`berth-rootfs-${'x'.repeat(80)}-`);
    const { merged, style } = await mountImage(many(25), 'short');
    expect(style).toBe('short');
    expect(readdirSync(merged).length).toBe(25);
    expect(readFileSync(path.join(merged, 'layer-24'), 'utf8')).toBe('24');
  });

  test('with a long store root, short links relative to the root', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'berth-rootfs-long-'));
    mkdirSync(path.join(parent, 'y'.repeat(150)));
    useRoot(path.join(parent, 'y'.repeat(150), 'z'.repeat(150)) + '-');
    try {
      const cwd = process.cwd();
      const { merged, style } = await mountImage(many(13), 'rel');
      expect(style).toBe('relative');
      expect(process.cwd()).toBe(cwd);
      expect(readdirSync(merged).length).toBe(13);
    } finally {
      for (const id of mounted.splice(0)) await store.rootfs.remove(id);
      rmSync(parent, { recursive: true, force: true });
    }
  });

  test('a restrictive umask does not leak into the container root or implied directories', async () => {
    useRoot('berth-rootfs-');
    const old = process.umask(0o077);
    try {
      const { merged } = await mountImage([layerTar([{ type: 'file', name: 'implied/dir/f', data: 'f', mode: 0o644 }])], 'umask');
      expect(statSync(merged).mode & 0o777).toBe(0o755);
      expect(statSync(path.join(merged, 'implied')).mode & 0o777).toBe(0o755);
      expect(statSync(path.join(merged, 'implied/dir/f')).mode & 0o777).toBe(0o644);
    } finally {
      process.umask(old);
    }
  });

  test('remove unmounts and deletes; ids are checked', async () => {
    useRoot('berth-rootfs-');
    const { merged } = await mountImage([layerTar([{ type: 'file', name: 'f', data: 'f' }])], 'gone');
    await store.rootfs.remove('gone');
    mounted.splice(0);
    expect(isMountPoint(merged)).toBe(false);
    expect(existsSync(path.join(root, 'rootfs/gone'))).toBe(false);
    await expect(store.rootfs.create('../evil', [])).rejects.toThrow(/invalid root filesystem id/);
  });

  test('a volatile overlay (for --rm) skips syncs; the default one does not; both unmount and delete', async () => {
    useRoot('berth-rootfs-');
    const layers = [layerTar([{ type: 'file', name: 'f', data: 'lower' }])];
    const plain = await mountImage(layers, 'plain');
    const throwaway = await mountImage(layers, 'throwaway', { volatile: true });
    // Linux 5.10+ shows the option as `volatile` (6.x: `fsync=volatile`)
    expect(superOptions(throwaway.merged)).toMatch(/(^|,)(fsync=)?volatile(,|$)/);
    expect(superOptions(plain.merged)).not.toMatch(/volatile/);
    writeFileSync(path.join(throwaway.merged, 'f'), 'upper');
    expect(readFileSync(path.join(throwaway.merged, 'f'), 'utf8')).toBe('upper');
    expect(readFileSync(path.join(plain.merged, 'f'), 'utf8')).toBe('lower');
    await store.rootfs.remove('throwaway');
    await store.rootfs.remove('plain');
    mounted.splice(0);
    expect(isMountPoint(throwaway.merged)).toBe(false);
    expect(existsSync(path.join(root, 'rootfs/throwaway'))).toBe(false);
  });

  test('a throwaway root filesystem has its meta.json (GC keeps its snapshots) and no temp file', async () => {
    useRoot('berth-rootfs-');
    const image = buildImage([layerTar([{ type: 'file', name: 'f', data: 'f' }])]);
    await addImage(store, image, ['app:latest']);
    const snaps = await store.unpackImage(image.manifestDigest);
    await store.rootfs.create('tmp1', snaps.map((s) => s.chainId), { throwaway: true });
    mounted.push('tmp1');
    expect(readdirSync(path.join(root, 'rootfs/tmp1')).sort()).toEqual(['merged', 'meta.json', 'upper', 'work']);
    expect((await store.rootfs.get('tmp1'))?.snapshots).toEqual(snaps.map((s) => s.chainId));
    expect((await store.rootfs.list()).map((r) => r.id)).toEqual(['tmp1']);
    const { merged } = await store.rootfs.mount('tmp1', { volatile: true });
    expect(readFileSync(path.join(merged, 'f'), 'utf8')).toBe('f');
  });

  test('unmount of a root filesystem that is not mounted, or is gone, is a no-op; a symlink at merged is not followed', async () => {
    useRoot('berth-rootfs-');
    await mountImage([layerTar([{ type: 'file', name: 'f', data: 'f' }])], 'other');
    const other = path.join(root, 'rootfs/other/merged');
    await mountImage([layerTar([{ type: 'file', name: 'g', data: 'g' }])], 'link');
    await store.rootfs.unmount('link');
    await store.rootfs.unmount('link');
    await store.rootfs.unmount('never-created');
    // merged replaced by a symlink to another container's mounted root: unmounting "link" leaves it alone
    const merged = path.join(root, 'rootfs/link/merged');
    rmSync(merged, { recursive: true });
    symlinkSync(other, merged);
    await store.rootfs.unmount('link');
    expect(isMountPoint(other)).toBe(true);
    // and remove deletes the link, not what it points to
    await store.rootfs.remove('link');
    mounted.splice(mounted.indexOf('link'), 1);
    expect(existsSync(path.join(root, 'rootfs/link'))).toBe(false);
    expect(readFileSync(path.join(other, 'f'), 'utf8')).toBe('f');
  });

  test('removeTree deletes files, dirs and symlinks without following them; a missing path is no error', () => {
    useRoot('berth-rmtree-');
    const keep = path.join(root, 'keep');
    mkdirSync(path.join(keep, 'sub'), { recursive: true });
    writeFileSync(path.join(keep, 'sub', 'x'), 'x');
    const t = path.join(root, 't');
    mkdirSync(path.join(t, 'a/b/c'), { recursive: true });
    writeFileSync(path.join(t, 'a/b/c/file'), '1');
    writeFileSync(path.join(t, 'top'), '2');
    mkdirSync(path.join(t, 'empty'));
    symlinkSync(keep, path.join(t, 'a/dirlink'));
    symlinkSync(path.join(keep, 'sub', 'x'), path.join(t, 'filelink'));
    symlinkSync('/nonexistent', path.join(t, 'dangling'));
    removeTree(t);
    expect(existsSync(t)).toBe(false);
    expect(readFileSync(path.join(keep, 'sub', 'x'), 'utf8')).toBe('x');
    removeTree(t);
    writeFileSync(path.join(root, 'plain'), 'p');
    removeTree(path.join(root, 'plain'));
    expect(existsSync(path.join(root, 'plain'))).toBe(false);
  });
});
