/**
 * The image's volumes on a plain directory standing in for a root
 * filesystem: paths cleaned and checked, content copied with owners and
 * modes, symlinks in the image resolved inside the root (never the host's).
 */
import { chownSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { prepareImageVolumes, volumePaths } from '../../src/run/volumes';
import { rmrf, tempDir } from '../helpers';

let dir: string;
let root: string;
beforeEach(() => {
  dir = tempDir(`berth-volumes-${process.pid}-`);
  root = path.join(dir, 'rootfs');
  mkdirSync(root);
});
afterEach(() => rmrf(dir));

it('volume paths: cleaned, deduplicated, sorted; relative paths and / refused', () => {
  expect(volumePaths(undefined)).toEqual([]);
  expect(volumePaths({ '/b/': {}, '/a//x': {}, '/b': {} })).toEqual(['/a/x', '/b']);
  expect(() => volumePaths({ 'data': {} })).toThrow('image volume "data": not an absolute path');
  expect(() => volumePaths({ '/': {} })).toThrow(/destination can't be '\/'/);
});

it("copies the image's content (owner, mode), makes missing mount points, refuses a file", async () => {
  mkdirSync(path.join(root, 'data', 'sub'), { recursive: true, mode: 0o750 });
  writeFileSync(path.join(root, 'data', 'sub', 'f'), 'x');
  chownSync(path.join(root, 'data'), 1000, 1001);
  const vols = await prepareImageVolumes(root, path.join(dir, 'volumes'), ['/data', '/new/vol']);
  expect(vols).toEqual([
    { destination: '/data', source: path.join(dir, 'volumes', '0') },
    { destination: '/new/vol', source: path.join(dir, 'volumes', '1') },
  ]);
  const st = lstatSync(vols[0]!.source);
  expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([1000, 1001, 0o750]);
  expect(readFileSync(path.join(vols[0]!.source, 'sub', 'f'), 'utf8')).toBe('x');
  expect(readdirSync(vols[1]!.source)).toEqual([]);
  expect(lstatSync(path.join(root, 'new', 'vol')).isDirectory()).toBe(true);

  writeFileSync(path.join(root, 'file'), '');
  await expect(prepareImageVolumes(root, path.join(dir, 'volumes2'), ['/file'])).rejects.toThrow('image volume /file: not a directory in the image');
});

it("a symlink in the image is followed inside the root: an absolute link to /etc copies the image's /etc, not the host's", async () => {
  mkdirSync(path.join(root, 'etc'));
  writeFileSync(path.join(root, 'etc', 'only-in-image'), 'image');
  symlinkSync('/etc', path.join(root, 'data'));
  const [vol] = await prepareImageVolumes(root, path.join(dir, 'volumes'), ['/data']);
  expect(readdirSync(vol!.source)).toEqual(['only-in-image']);
});
