/**
 * Archives written by GNU tar in every format it has, read back field by
 * field against what the files on disk say (lstat), so any header field the
 * reader gets wrong fails here.
 */
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { encodeTarHeader, tarPadding, tarTrailer } from '../../src';
import { gnuTar, makeTree, readAll, sha256, type Format } from './helpers';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'berth-tar-read-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function typeOf(st: import('node:fs').Stats): string {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return 'file';
}

describe.each<Format>(['pax', 'gnu', 'oldgnu', 'ustar', 'v7'])('GNU tar --format=%s', (format) => {
  test('every entry reads back as lstat describes it', async () => {
    const { src, names } = makeTree(root, format);
    const tar = gnuTar(['-C', src, `--format=${format}`, '--no-recursion', '-cf', '-', ...names]);
    const entries = await readAll(tar, `${format}.tar`);
    expect(entries.map((e) => e.name.replace(/\/$/, ''))).toEqual(names);
    const firstOfInode = new Map<bigint, string>();
    for (const e of entries) {
      const name = e.name.replace(/\/$/, '');
      const st = lstatSync(path.join(src, name));
      const stNs = lstatSync(path.join(src, name), { bigint: true });
      const first = firstOfInode.get(stNs.ino);
      const hardlink = st.isFile() && first !== undefined;
      if (!firstOfInode.has(stNs.ino)) firstOfInode.set(stNs.ino, name);
      const expected = {
        name: e.type === 'dir' && format !== 'v7' ? `${name}/` : e.name,
        type: hardlink ? 'hardlink' : typeOf(st),
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: st.isFile() && !hardlink ? st.size : 0,
        // GNU tar's pax format keeps nanoseconds; the others whole seconds.
        mtime: format === 'pax' ? Number(stNs.mtimeNs) / 1e9 : Number(stNs.mtimeNs / 1_000_000_000n),
        linkname: hardlink ? first : st.isSymbolicLink() ? readlinkSync(path.join(src, name)) : '',
        devmajor: st.isCharacterDevice() || st.isBlockDevice() ? Math.floor(st.rdev / 256) : 0,
        devminor: st.isCharacterDevice() || st.isBlockDevice() ? st.rdev % 256 : 0,
        uname: format === 'v7' || st.uid !== 0 ? expect.any(String) : 'root',
        sha256: sha256(st.isFile() && !hardlink ? readFileSync(path.join(src, name)) : ''),
      };
      if (st.isCharacterDevice() || st.isBlockDevice()) {
        // major/minor as the kernel encodes them in dev_t (259:300 does not fit the old 8:8 split)
        const rdev = BigInt(stNs.rdev);
        expected.devmajor = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
        expected.devminor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
      }
      const { xattrs: _x, pax: _p, gname: _g, ...got } = e;
      if (name === 'd/f') expect(got.mtime).toBe(format === 'pax' ? 1_704_067_200.123456 : 1_704_067_200);
      expect({ entry: name, ...got, mtime: Math.round(got.mtime * 1e6) / 1e6 }).toEqual({ entry: name, ...expected, mtime: Math.round(expected.mtime * 1e6) / 1e6 });
    }
  });
});

test('GNU tar --xattrs: binary values (security.capability, user.*) read back byte for byte', async () => {
  // GNU tar sets the xattrs on extraction from a PAX archive written here by hand, archives the
  // tree again itself, and the reader must find exactly those bytes in GNU tar's archive.
  const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
  const bin = Buffer.from([0, 0x80, 0xff, 0x0a, 0x3d, 0x20]);
  const records = Buffer.concat([paxRecord('SCHILY.xattr.security.capability', cap), paxRecord('SCHILY.xattr.user.bin', bin)]);
  const paxHeader = encodeTarHeader({ name: 'PaxHeaders/f', type: 'file', size: records.length });
  paxHeader[156] = 'x'.charCodeAt(0);
  fixChecksum(paxHeader);
  const input = Buffer.concat([paxHeader, records, tarPadding(records.length), encodeTarHeader({ name: 'f', type: 'file', size: 2, mode: 0o755 }), Buffer.from('hi'), tarPadding(2), tarTrailer()]);
  const dir = mkdtempSync(path.join(root, 'xattrs-'));
  gnuTar(['--xattrs', '--xattrs-include=*', '-xpf', '-', '-C', dir], input);
  const again = gnuTar(['--xattrs', '--xattrs-include=*', '--format=pax', '-C', dir, '-cf', '-', 'f']);
  const [entry] = await readAll(again);
  expect(entry.xattrs.get('security.capability')).toEqual(cap);
  expect(entry.xattrs.get('user.bin')).toEqual(bin);
  expect(entry.sha256).toBe(sha256('hi'));
});

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function fixChecksum(b: Buffer): void {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}
