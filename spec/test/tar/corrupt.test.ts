/**
 * Truncated and corrupt archives: every failure is a TarError that names
 * the archive, an offset inside it and (when the header has one) the entry;
 * never another exception, a crash or a hang. Seeded, so failures repeat.
 */
import { Readable } from 'node:stream';
import { TarError, encodeTarHeader, readTar, tarPadding, tarTrailer } from '../../src';
import { chunked, readAll } from './helpers';

function sample(): Buffer {
  const parts: Buffer[] = [];
  const add = (h: Parameters<typeof encodeTarHeader>[0], data = ''): void => {
    parts.push(encodeTarHeader({ ...h, size: data.length }));
    if (data) parts.push(Buffer.from(data), tarPadding(data.length));
  };
  add({ name: 'dir', type: 'dir', mode: 0o755 });
  add({ name: 'dir/file', type: 'file', mtime: 1.5 }, 'x'.repeat(700));
  add({ name: `${'l'.repeat(130)}/${'m'.repeat(130)}`, type: 'file', uid: 5_000_000, xattrs: new Map([['user.a', Buffer.from([0, 255])]]) }, 'long');
  add({ name: 'sym', type: 'symlink', linkname: 't'.repeat(200) });
  add({ name: 'dev', type: 'block', devmajor: 8, devminor: 1 });
  parts.push(tarTrailer());
  return Buffer.concat(parts);
}

/** xorshift32: a small deterministic generator. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function fixChecksum(b: Buffer, at: number): void {
  const block = b.subarray(at, at + 512);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}

async function outcome(tar: Buffer, archive: string): Promise<'ok' | TarError> {
  try {
    await readAll(tar, archive);
    return 'ok';
  } catch (err) {
    if (!(err instanceof TarError)) throw err;
    return err;
  }
}

function expectNamed(err: TarError, archive: string, length: number): void {
  expect(err.code).toBe('ERR_BERTH_TAR');
  expect(err.message.startsWith(`${archive}: `)).toBe(true);
  expect(err.offset).toBeGreaterThanOrEqual(0);
  expect(err.offset).toBeLessThanOrEqual(length);
  expect(err.offset % 512).toBe(0);
  expect(err.message).toContain(`at byte ${err.offset}`);
  if (err.entry !== undefined) expect(err.message).toContain(JSON.stringify(err.entry));
}

const base = sample();

test('the sample reads cleanly', async () => {
  const entries = await readAll(base);
  expect(entries.map((e) => e.type)).toEqual(['dir', 'file', 'file', 'symlink', 'block']);
  expect(entries[2].uid).toBe(5_000_000);
  expect(entries[1].mtime).toBe(1.5);
});

test('every truncation point gives a TarError naming the offset (or a clean end between entries)', async () => {
  for (let cut = 1; cut < base.length - 1024; cut += 37) {
    const result = await outcome(base.subarray(0, cut), `cut-${cut}`);
    if (result === 'ok') {
      // Only a cut on an entry boundary may read as a (short) archive; data cut short may not.
      expect(cut % 512).toBe(0);
      continue;
    }
    expectNamed(result, `cut-${cut}`, cut);
  }
});

test('a data cut names the entry whose data is missing', async () => {
  // dir (0), PAX header for dir/file's mtime (512) and its records (1024), dir/file (1536), its data (2048)
  const err = await outcome(base.subarray(0, 2048 + 100), 'short.tar');
  expect(err).toBeInstanceOf(TarError);
  expect((err as TarError).entry).toBe('dir/file');
  expect((err as TarError).message).toBe('short.tar: entry "dir/file" at byte 512: truncated: the archive ends 100 bytes into its 700 bytes of data');
});

test('random byte flips in header blocks (checksums fixed up, so parsing goes deep) never escape as other errors', async () => {
  const headers: number[] = [];
  for (let at = 0; at < base.length; at += 512) if (base[at + 257] === 0x75 /* 'u' of ustar */) headers.push(at);
  const next = rng(0x5eed);
  for (let round = 0; round < 2000; round++) {
    const tar = Buffer.from(base);
    const at = headers[Math.floor(next() * headers.length)];
    const flips = 1 + Math.floor(next() * 4);
    for (let i = 0; i < flips; i++) tar[at + Math.floor(next() * 512)] = Math.floor(next() * 256);
    if (next() < 0.8) fixChecksum(tar, at);
    const result = await outcome(tar, `fuzz-${round}`);
    if (result !== 'ok') expectNamed(result, `fuzz-${round}`, tar.length);
  }
});

test('random bytes in PAX records are malformed-record errors, not crashes', async () => {
  const next = rng(42);
  const paxAt = base.indexOf(Buffer.from(' path='));
  for (let round = 0; round < 500; round++) {
    const tar = Buffer.from(base);
    for (let i = 0; i < 3; i++) tar[paxAt - 3 + Math.floor(next() * 40)] = Math.floor(next() * 256);
    const result = await outcome(tar, 'pax');
    if (result !== 'ok') expectNamed(result, 'pax', tar.length);
  }
});

test('a bad checksum names the header offset and the entry before it', async () => {
  const tar = Buffer.from(base);
  tar[1024 + 2000] ^= 0xff; // inside dir/file's data: harmless
  let at = 0;
  while (!base.subarray(at, at + 4).equals(Buffer.from('sym\0'))) at += 512;
  tar[at + 100] = 0x37; // mode field, checksum left stale
  const err = await outcome(tar, 'bad.tar');
  expect(err).toBeInstanceOf(TarError);
  expect((err as TarError).offset).toBe(at - 1024); // the PAX header in front of "sym"
  expect((err as TarError).message).toMatch(/bad\.tar: entry "sym" at byte \d+: bad header checksum .* \(after entry "l+\/m+"\)/);
});

test('a huge extension header size is refused before it is read', async () => {
  const h = encodeTarHeader({ name: 'p', type: 'file', size: 0 });
  h[156] = 'x'.charCodeAt(0);
  h.write('77777777777\0', 124, 12, 'latin1');
  fixChecksum(h, 0);
  const err = await outcome(Buffer.concat([h, tarTrailer()]), 'huge.tar');
  expect((err as TarError).message).toMatch(/extension header of 8589934591 bytes is larger than/);
});

test('sparse files and unknown types are refused by name', async () => {
  for (const [flag, message] of [['S', 'GNU sparse file'], ['M', 'multi-volume'], ['Z', 'unsupported entry type "Z"']]) {
    const h = encodeTarHeader({ name: `e${flag}`, type: 'file', size: 0 });
    h[156] = flag.charCodeAt(0);
    fixChecksum(h, 0);
    const err = await outcome(Buffer.concat([h, tarTrailer()]), 't.tar');
    expect(err).toBeInstanceOf(TarError);
    expect((err as TarError).message).toContain(`entry "e${flag}" at byte 0`);
    expect((err as TarError).message).toContain(message);
  }
});

test('a body cannot be read after the reader moved on', async () => {
  const it = readTar(Readable.from(chunked(base)), 'late.tar');
  const first = await it.next();
  const second = await it.next();
  expect(first.done || second.done).toBe(false);
  await expect(first.value!.body[Symbol.asyncIterator]().next()).rejects.toThrow('the body was read after the reader moved on');
  await it.return(undefined);
});

test('GNU base-256 numbers: size, uid and a negative mtime', async () => {
  const h = encodeTarHeader({ name: 'b256', type: 'file', size: 0 });
  const base256 = (at: number, len: number, value: bigint): void => {
    let v = value < 0n ? (1n << BigInt(8 * len)) + value : value;
    for (let i = at + len - 1; i >= at; i--) {
      h[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    h[at] |= 0x80;
  };
  base256(124, 12, 5n); // size
  base256(108, 8, 0x7fff_ffffn); // uid
  base256(136, 12, -86400n); // mtime: a day before the epoch
  fixChecksum(h, 0);
  const [e] = await readAll(Buffer.concat([h, Buffer.from('hello'), tarPadding(5), tarTrailer()]));
  expect([e.size, e.uid, e.mtime]).toEqual([5, 0x7fff_ffff, -86400]);
});
