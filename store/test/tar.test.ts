import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, linkSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { setXattr } from '@berth/sys';
import { encodeHeader, readTar, tarTrailer, type TarHeader } from '@berth/store';
import { useTempDir } from './helpers/tmp';

const tmp = useTempDir();

async function read(tar: Buffer): Promise<(TarHeader & { data: string })[]> {
  const out: (TarHeader & { data: string })[] = [];
  for await (const { header, body } of readTar(Readable.from([tar]), 't')) {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c);
    out.push({ ...header, data: Buffer.concat(chunks).toString() });
  }
  return out;
}

/** A tree GNU tar archives: long names, a long link, hard link, xattrs (binary too). */
function tree(): string {
  const src = mkdtempSync(path.join(tmp.dir, 'src-'));
  const long = path.join(src, 'd'.repeat(150), 'e'.repeat(120));
  mkdirSync(long, { recursive: true });
  writeFileSync(path.join(long, 'file'), 'deep');
  symlinkSync('t'.repeat(180), path.join(src, 'longlink'));
  writeFileSync(path.join(src, 'caps'), 'c');
  linkSync(path.join(src, 'caps'), path.join(src, 'caps.hard'));
  setXattr(path.join(src, 'caps'), 'user.bin', Buffer.from([0, 0x80, 0xff, 0x0a, 0x3d]));
  return src;
}

describe('tar reader against GNU tar', () => {
  for (const format of ['pax', 'gnu'] as const) {
    test(`${format} format: long names and links, hard links, binary xattrs`, async () => {
      const src = tree();
      try {
        const args = ['-C', src, '--format', format, '--sort=name', '-cf', '-', '.'];
        if (format === 'pax') args.unshift('--xattrs', '--xattrs-include=user.*');
        const tar = spawnSync('tar', args, { maxBuffer: 1 << 26 });
        expect(tar.status).toBe(0);
        const entries = await read(tar.stdout);
        const byName = new Map(entries.map((e) => [e.name.replace(/^\.\//, ''), e]));
        const deep = byName.get(`${'d'.repeat(150)}/${'e'.repeat(120)}/file`);
        expect(deep).toMatchObject({ type: 'file', data: 'deep', size: 4 });
        expect(byName.get('longlink')).toMatchObject({ type: 'symlink', linkname: 't'.repeat(180) });
        expect(byName.get('caps.hard')).toMatchObject({ type: 'hardlink', linkname: './caps' });
        if (format === 'pax') expect(byName.get('caps')?.xattrs.get('user.bin')).toEqual(Buffer.from([0, 0x80, 0xff, 0x0a, 0x3d]));
      } finally {
        rmSync(src, { recursive: true, force: true });
      }
    });
  }

  test('GNU tar reads what the writer makes (PAX path, linkpath, big ids, xattrs)', async () => {
    const name = `${'x'.repeat(120)}/${'y'.repeat(120)}/${'z'.repeat(120)}`;
    const tar = Buffer.concat([
      encodeHeader({ name, type: 'file', size: 2, uid: 3_000_000, gid: 70_000_000, xattrs: new Map([['user.k', Buffer.from('v')]]) }),
      Buffer.from('hi'),
      Buffer.alloc(510),
      encodeHeader({ name: 'l', type: 'symlink', linkname: 'q'.repeat(300) }),
      tarTrailer(),
    ]);
    const file = path.join(tmp.dir, 'w.tar');
    writeFileSync(file, tar);
    const listed = spawnSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8' });
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(`3000000/70000000`);
    expect(listed.stdout).toContain(name);
    expect(listed.stdout).toContain(`l -> ${'q'.repeat(300)}`);
    const [entry] = await read(tar);
    expect(entry).toMatchObject({ name, uid: 3_000_000, gid: 70_000_000, data: 'hi' });
    expect(entry.xattrs.get('user.k')?.toString()).toBe('v');
  });

  test('base-256 numbers and a global PAX header', async () => {
    const h = encodeHeader({ name: 'f', type: 'file', size: 0 });
    // uid as GNU base-256 (0x80 marker), checksum recomputed
    h.fill(0, 108, 116);
    h[108] = 0x80;
    h.writeUInt32BE(5_000_000, 112);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
    const record = Buffer.from('30 SCHILY.xattr.user.g=global\n');
    const global = encodeHeader({ name: 'pax_global_header', type: 'file', size: record.length });
    global[156] = 'g'.charCodeAt(0);
    global.fill(0x20, 148, 156);
    let gsum = 0;
    for (const b of global) gsum += b;
    global.write(`${gsum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
    const tar = Buffer.concat([global, record, Buffer.alloc(512 - record.length), h, tarTrailer()]);
    const [entry] = await read(tar);
    expect(entry.uid).toBe(5_000_000);
    expect(entry.xattrs.get('user.g')?.toString()).toBe('global');
  });
});
