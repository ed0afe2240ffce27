/**
 * What the writer produces, as GNU tar sees it: listed identically to GNU
 * tar's own archive of the same tree, extracted to the same tree, xattrs
 * (binary ones included) set byte for byte.
 */
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { createTarWriter, encodeTarHeader, tarPadding, tarTrailer, type WriteHeader } from '../../src';
import { gnuTar, makeTree, readAll, sha256 } from './helpers';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'berth-tar-write-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const LIST = ['--numeric-owner', '--full-time', '-tvv', '--xattrs', '-f', '-'];

/** Re-writes every entry the reader found with the writer (through the streaming writer). */
async function rewrite(tar: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    highWaterMark: 1024, // small, so the writer meets backpressure
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      setImmediate(cb);
    },
  });
  const writer = createTarWriter(out, 'rewrite');
  for (const e of await readAll(tar)) {
    const { sha256: _s, ...header } = e;
    const body = e.type === 'file' ? readBody(tar, e.name) : undefined;
    await writer.add(header, body);
  }
  await writer.finish();
  return Buffer.concat(chunks);
}

function readBody(tar: Buffer, name: string): Buffer {
  return gnuTar(['-xOf', '-', name], tar);
}

/** Every path under dir with what extraction must reproduce. */
function describe_(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const p = path.join(rel, name);
      const st = lstatSync(path.join(dir, p), { bigint: true });
      out[p] = {
        mode: st.mode.toString(8),
        uid: st.uid,
        gid: st.gid,
        size: st.isFile() ? st.size : 0n,
        nlink: st.isDirectory() ? 0n : st.nlink,
        mtimeNs: st.isSymbolicLink() ? 0n : st.mtimeNs,
        rdev: st.rdev,
        target: st.isSymbolicLink() ? readlinkSync(path.join(dir, p)) : undefined,
        sha: st.isFile() ? sha256(readFileSync(path.join(dir, p))) : undefined,
      };
      if (st.isDirectory()) walk(p);
    }
  };
  walk('');
  return out;
}

test.each(['pax', 'gnu', 'ustar'] as const)('GNU tar lists what the writer wrote exactly as its own %s archive of the same tree, and extracts the same tree', async (format) => {
  const { src, names } = makeTree(root, format);
  const theirs = gnuTar(['-C', src, `--format=${format}`, '--no-recursion', '-cf', '-', ...names]);
  const ours = await rewrite(theirs);
  expect(gnuTar(LIST, ours).toString()).toBe(gnuTar(LIST, theirs).toString());
  const a = path.join(root, `${format}-a`);
  const b = path.join(root, `${format}-b`);
  mkdirSync(a);
  mkdirSync(b);
  gnuTar(['--numeric-owner', '-xpf', '-', '-C', a], theirs);
  gnuTar(['--numeric-owner', '-xpf', '-', '-C', b], ours);
  const want = describe_(a);
  expect(Object.keys(want)).toContain(format === 'ustar' ? 'cdev' : 'bigids');
  expect(describe_(b)).toEqual(want);
});

test('binary xattrs, long names, large ids and a fractional mtime survive GNU tar extraction', async () => {
  const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
  const bin = Buffer.from([0, 0x80, 0xff, 0x0a, 0x3d, 0x20, 0xc3]);
  const long = `${'a'.repeat(90)}/${'b'.repeat(90)}/${'c'.repeat(90)}`;
  const headers: (WriteHeader & { data?: string })[] = [
    { name: 'a'.repeat(90), type: 'dir', mode: 0o755 },
    { name: `${'a'.repeat(90)}/${'b'.repeat(90)}`, type: 'dir', mode: 0o755 },
    { name: long, type: 'file', mode: 0o4755, uid: 3_000_000, gid: 70_000_000, mtime: 1_704_067_200.5, data: 'caps', xattrs: new Map([['security.capability', cap], ['user.bin', bin]]) },
    { name: 'dev', type: 'char', mode: 0o600, devmajor: 259, devminor: 300_000 },
  ];
  const parts: Buffer[] = [];
  for (const { data, ...h } of headers) {
    parts.push(encodeTarHeader({ ...h, size: data?.length ?? 0 }));
    if (data) parts.push(Buffer.from(data), tarPadding(data.length));
  }
  parts.push(tarTrailer());
  const tar = Buffer.concat(parts);
  const listing = gnuTar(LIST, tar).toString();
  expect(listing).toContain(`-rwsr-xr-x* 3000000/70000000  4 2024-01-01 00:00:00.5 ${long}\n  x: 7 user.bin\n`);
  expect(listing).toContain(`crw-------  0/0      259,300000 1970-01-01 00:00:00   dev`);
  expect(gnuTar(['--xattrs-include=*', ...LIST], tar).toString()).toMatch(/x: +20 security\.capability/);
  const dir = path.join(root, 'x');
  mkdirSync(dir);
  gnuTar(['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpf', '-', '-C', dir], tar);
  const st = lstatSync(path.join(dir, long), { bigint: true });
  expect([st.uid, st.gid, (st.mode & 0o7777n).toString(8), st.mtimeNs]).toEqual([3_000_000n, 70_000_000n, '4755', 1_704_067_200_500_000_000n]);
  const dev = lstatSync(path.join(dir, 'dev'));
  expect(dev.isCharacterDevice()).toBe(true);
  // GNU tar archives what it extracted; the reader finds the same bytes in its archive.
  const again = await readAll(gnuTar(['--xattrs', '--xattrs-include=*', '--format=pax', '-C', dir, '-cf', '-', long, 'dev']));
  expect(again[0].xattrs.get('security.capability')).toEqual(cap);
  expect(again[0].xattrs.get('user.bin')).toEqual(bin);
  expect([again[1].devmajor, again[1].devminor]).toEqual([259, 300_000]);
});
