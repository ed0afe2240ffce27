// The tar writer is checked against GNU tar, which validates header checksums.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FIXTURE_EPOCH, createTar, gzipDeterministic, type TarEntry } from '@berth/test';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'berth-tar-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const longDir = `${'d'.repeat(60)}/${'e'.repeat(60)}`; // > 100 with a file name: needs the ustar prefix
const longName = 'n'.repeat(120); // one component > 100: needs a PAX path record
const longTarget = `../${'t'.repeat(150)}`;

const entries: TarEntry[] = [
  { type: 'dir', path: 'a', mode: 0o750, uid: 1000, gid: 1001 },
  { type: 'file', path: 'a/file', data: 'hello\n', mode: 0o640 },
  { type: 'file', path: 'a/empty', data: '' },
  { type: 'file', path: 'a/block', data: Buffer.alloc(512, 1) },
  { type: 'symlink', path: 'a/link', target: 'file' },
  { type: 'hardlink', path: 'a/hard', target: 'a/file' },
  { type: 'dir', path: longDir },
  { type: 'file', path: `${longDir}/file-with-a-name`, data: 'deep' },
  { type: 'file', path: `a/${longName}`, data: 'pax' },
  { type: 'symlink', path: 'a/longlink', target: longTarget },
  { type: 'file', path: 'a/ünïcode', data: 'u' },
];

test('GNU tar lists what was written, with modes, owners and the fixed mtime', () => {
  const file = join(tmp, 't.tar');
  writeFileSync(file, createTar(entries));
  const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', file], { encoding: 'utf8' }).trim().split('\n');
  expect(listing).toHaveLength(entries.length);
  expect(listing[0]).toBe('drwxr-x--- 1000/1001         0 2024-01-01 00:00:00 a/');
  expect(listing[1]).toBe('-rw-r----- 0/0               6 2024-01-01 00:00:00 a/file');
  expect(listing[4]).toBe('lrwxrwxrwx 0/0               0 2024-01-01 00:00:00 a/link -> file');
  expect(listing[5]).toBe('hrw-r--r-- 0/0               0 2024-01-01 00:00:00 a/hard link to a/file');
  expect(listing[7]).toMatch(new RegExp(`${longDir}/file-with-a-name$`));
  expect(listing[8]).toMatch(new RegExp(`a/${longName}$`));
  expect(listing[9]).toMatch(new RegExp(`a/longlink -> \\.\\./${'t'.repeat(150)}$`));
  expect(listing[10]).toMatch(/a\/ünïcode$/);
});

test('GNU tar extracts the same content', () => {
  const file = join(tmp, 'x.tar');
  const out = join(tmp, 'out');
  writeFileSync(file, createTar(entries));
  execFileSync('mkdir', ['-p', out]);
  execFileSync('tar', ['-xpf', file, '-C', out]);
  expect(readFileSync(join(out, 'a/file'), 'utf8')).toBe('hello\n');
  expect(readFileSync(join(out, 'a/block'))).toEqual(Buffer.alloc(512, 1));
  expect(readFileSync(join(out, longDir, 'file-with-a-name'), 'utf8')).toBe('deep');
  expect(readFileSync(join(out, 'a', longName), 'utf8')).toBe('pax');
  expect(readlinkSync(join(out, 'a/longlink'))).toBe(longTarget);
  expect(lstatSync(join(out, 'a/hard')).ino).toBe(lstatSync(join(out, 'a/file')).ino);
  expect(Math.floor(lstatSync(join(out, 'a/file')).mtimeMs / 1000)).toBe(FIXTURE_EPOCH);
});

test('the same entries always give the same bytes, and the archive ends with two zero blocks', () => {
  const one = createTar(entries);
  expect(createTar(entries).equals(one)).toBe(true);
  expect(one.length % 512).toBe(0);
  expect(one.subarray(one.length - 1024).every((b) => b === 0)).toBe(true);
  const gz = gzipDeterministic(one);
  expect(gzipDeterministic(one).equals(gz)).toBe(true);
  expect(gz.readUInt32LE(4)).toBe(0); // gzip header mtime
  expect(gunzipSync(gz).equals(one)).toBe(true);
});

test('values that do not fit a ustar field go in a PAX record that GNU tar reads', () => {
  const file = join(tmp, 'big.tar');
  writeFileSync(file, createTar([{ type: 'dir', path: 'x', uid: 0o10000000, gid: 3_000_000_000 }]));
  const listing = execFileSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8' }).trim();
  expect(listing).toMatch(/^drwxr-xr-x 2097152\/3000000000 /);
});
