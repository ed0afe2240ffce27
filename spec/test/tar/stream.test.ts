/** Streaming behaviour: no read-ahead, writer size checks, sparse archives from GNU tar refused by name. */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { TarError, createTarWriter, encodeTarHeader, readTar, tarPadding, tarTrailer } from '../../src';
import { gnuTar, readAll } from './helpers';

test('the reader pulls input only as entries and bodies are consumed', async () => {
  const parts: Buffer[] = [];
  for (let i = 0; i < 4; i++) {
    const data = Buffer.alloc(1 << 20, i);
    parts.push(encodeTarHeader({ name: `f${i}`, type: 'file', size: data.length }), data);
  }
  parts.push(tarTrailer());
  const whole = Buffer.concat(parts);
  let pulled = 0;
  const source = (async function* () {
    for (let i = 0; i < whole.length; i += 64 << 10) {
      pulled += 1;
      yield whole.subarray(i, i + (64 << 10));
    }
  })();
  const it = readTar(source, 'lazy.tar');
  const first = await it.next();
  expect(first.value?.header.name).toBe('f0');
  expect(pulled).toBe(1); // the header only: nothing of the 1 MiB body yet
  const body = first.value!.body[Symbol.asyncIterator]();
  await body.next();
  expect(pulled).toBe(1);
  await body.next();
  expect(pulled).toBe(2);
  await it.return(undefined);
});

test('the writer refuses a body whose length differs from the header, naming the entry', async () => {
  const out = new PassThrough();
  out.resume();
  const w = createTarWriter(out, 'out.tar');
  await expect(w.add({ name: 'short', type: 'file', size: 10 }, Readable.from([Buffer.from('abc')]))).rejects.toThrow(
    'out.tar: entry "short": the body has 3 bytes, the header says 10',
  );
  const w2 = createTarWriter(new PassThrough().resume(), 'out.tar');
  await expect(w2.add({ name: 'long', type: 'file', size: 2 }, Readable.from([Buffer.from('abc')]))).rejects.toBeInstanceOf(TarError);
});

test('the writer waits for a slow stream and reports its failure', async () => {
  let writes = 0;
  const slow = new Writable({
    highWaterMark: 512,
    write(_chunk, _enc, cb) {
      writes += 1;
      if (writes === 3) cb(new Error('disk full'));
      else setImmediate(cb);
    },
  });
  const w = createTarWriter(slow, 'slow.tar');
  const data = Buffer.alloc(4096, 1);
  await expect(
    (async () => {
      for (let i = 0; i < 10; i++) await w.add({ name: `f${i}`, type: 'file', size: data.length }, data);
    })(),
  ).rejects.toThrow(/disk full|output stream was closed/);
  expect(writes).toBe(3);
});

test('names with NUL and impossible numbers are refused by name', () => {
  expect(() => encodeTarHeader({ name: 'a\0b', type: 'file' }, 'x.tar')).toThrow(TarError);
  expect(() => encodeTarHeader({ name: 'neg', type: 'file', uid: -1 }, 'x.tar')).toThrow('x.tar: entry "neg": invalid uid -1');
  expect(() => encodeTarHeader({ name: 'nan', type: 'file', mtime: NaN }, 'x.tar')).toThrow('x.tar: entry "nan": invalid mtime NaN');
});

describe('GNU tar sparse files are refused clearly', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-tar-sparse-'));
    writeFileSync(path.join(dir, 'holes'), 'start');
    truncateSync(path.join(dir, 'holes'), 8 << 20);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['gnu', []],
    ['pax', ['--sparse-version=0.0']],
    ['pax', ['--sparse-version=0.1']],
    ['pax', ['--sparse-version=1.0']],
  ])('--format=%s %s', async (format, extra) => {
    const tar = gnuTar(['-C', dir, `--format=${format}`, '--sparse', ...(extra as string[]), '-cf', '-', 'holes']);
    await expect(readAll(tar, 'sparse.tar')).rejects.toThrow(/sparse\.tar: entry ".*holes" at byte 0: is a GNU sparse file, which berth does not support/);
  });
});

test('tarPadding pads to whole blocks', () => {
  expect([tarPadding(0).length, tarPadding(1).length, tarPadding(512).length, tarPadding(513).length]).toEqual([0, 511, 0, 511]);
});
