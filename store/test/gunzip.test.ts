// Gunzip into reused buffers (store/src/decompress.ts): the same bytes and the
// same errors as zlib's stream, memory reused only once nothing reads it.
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { LayerError, decompress, unpackLayer } from '@berth/store';
import { digestOf } from '@berth/spec';
import { gunzipInPlace, gunzipStream, openInflater } from '../src/decompress';
import { FileWrites } from '../src/file-writes';
import { inflated } from '../src/reusable-buffers';
import { useTempDir } from './helpers/tmp';
import { describeTree, layerTar } from './helpers/layers';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const tmp = useTempDir('berth-gunzip-');
const MIB = 1 << 20;

/** Half random, half repeated: gzip gets about 2:1. */
function mixed(size: number): Buffer {
  const out = randomBytes(size);
  for (let i = 0; i < size; i += 128) out.fill(i & 0xff, i, Math.min(size, i + 64));
  return out;
}

/** The blob in uneven pieces (1 byte up to ~300 KiB), each in one buffer overwritten once the next is asked for. */
async function* transient(blob: Buffer, first = 1): AsyncGenerator<Buffer> {
  const memory = Buffer.alloc(300_007);
  for (let off = 0, n = first; off < blob.length; n = (n * 7919) % 300_007) {
    const size = Math.min(1 + (n % 300_000), blob.length - off);
    blob.copy(memory, 0, off, off + size);
    yield memory.subarray(0, size);
    memory.fill(0xee); // what a reused read buffer would hold by now
    off += size;
  }
}

type Outcome = { data: Buffer; chunks: number } | { error: string };

/** Copies what `gunzip` gives, or the message of its error. */
async function run(gunzip: AsyncIterable<Buffer>): Promise<Outcome> {
  const parts: Buffer[] = [];
  try {
    for await (const chunk of gunzip) parts.push(Buffer.from(chunk));
    return { data: Buffer.concat(parts), chunks: parts.length };
  } catch (err) {
    expect(err).toBeInstanceOf(LayerError);
    return { error: (err as Error).message };
  }
}

function inPlace(blob: Buffer, first?: number): AsyncGenerator<Buffer> {
  const engine = openInflater();
  if (!engine) throw new Error('this Node has no zlib handle to drive');
  return gunzipInPlace(engine, transient(blob, first), 'layer');
}

describe('gunzip into reused buffers', () => {
  const big = mixed(5 * MIB + 777);
  const cases: [string, Buffer][] = [
    ['several MiB, 2:1', gzipSync(big)],
    ['incompressible, level 1', gzipSync(randomBytes(3 * MIB + 5), { level: 1 })],
    ['empty', gzipSync(Buffer.alloc(0))],
    ['two members', Buffer.concat([gzipSync(big.subarray(0, MIB + 3)), gzipSync(big.subarray(MIB + 3))])],
    ['trailing zeros', Buffer.concat([gzipSync(big.subarray(0, 1000)), Buffer.alloc(4096)])],
    ['trailing garbage', Buffer.concat([gzipSync(big.subarray(0, 1000)), Buffer.from('not gzip')])],
    ['truncated', gzipSync(big).subarray(0, 100_000)],
    ['corrupt', (() => {
      const gz = gzipSync(big);
      gz.fill(0x55, 50_000, 54_096);
      return gz;
    })()],
    ['bad checksum', (() => {
      const gz = gzipSync(big.subarray(0, 4096));
      gz[gz.length - 6] ^= 1;
      return gz;
    })()],
  ];

  test.each(cases)('%s: the same bytes or error as the stream, in whole 1 MiB chunks', async (_name, blob) => {
    for (const first of [1, 4, 50_000]) {
      const want = await run(gunzipStream(transient(blob, first), 'layer'));
      const got = await run(inPlace(blob, first));
      if ('error' in want) {
        expect(got).toEqual({ error: expect.stringMatching(/^layer: gzip data is corrupt: /) });
        expect((got as { error: string }).error).toBe(want.error);
      } else {
        expect('data' in got && got.data.equals(want.data)).toBe(true);
        expect((got as { chunks: number }).chunks).toBe(Math.ceil(want.data.length / MIB));
      }
    }
    expect(inflated.held).toBe(0);
  });

  test('matches zlib.gunzipSync; memory is reused, never that of the last two chunks handed out', async () => {
    const blob = gzipSync(big);
    const memory: ArrayBufferLike[] = [];
    const parts: Buffer[] = [];
    let previous: { view: Buffer; copy: Buffer } | undefined;
    for await (const chunk of inPlace(blob)) {
      // the chunk before this one is still intact (the tar reader may hold its tail)
      if (previous) expect(previous.view.equals(previous.copy)).toBe(true);
      previous = { view: chunk, copy: Buffer.from(chunk) };
      memory.push(chunk.buffer);
      parts.push(Buffer.from(chunk));
    }
    expect(Buffer.concat(parts).equals(gunzipSync(blob))).toBe(true);
    expect(memory[1] === memory[0]).toBe(false);
    // one buffer being filled, the last two handed out, and one filled while the caller had the one before
    expect(memory.length).toBe(6);
    expect(new Set(memory).size).toBeLessThanOrEqual(4);
    expect(inflated.held).toBe(0);
  });

  test('a held chunk is not inflated into until released', async () => {
    const blob = gzipSync(big);
    const held: { view: Buffer; copy: Buffer }[] = [];
    const memory = new Set<ArrayBufferLike>();
    for await (const chunk of inPlace(blob)) {
      inflated.hold(chunk);
      held.push({ view: chunk, copy: Buffer.from(chunk) });
      memory.add(chunk.buffer);
    }
    expect(memory.size).toBe(held.length); // nothing could be reused
    for (const { view, copy } of held) {
      expect(view.equals(copy)).toBe(true);
      inflated.release(view);
    }
    expect(inflated.held).toBe(0);
  });

  test('stopping early gives every buffer back', async () => {
    for await (const chunk of inPlace(gzipSync(big))) {
      expect(chunk.length).toBe(MIB);
      break;
    }
    expect(inflated.held).toBe(0);
  });

  test('decompress sniffs gzip from tiny first chunks of a transient source', async () => {
    const blob = gzipSync(big);
    const source = Object.assign(transient(blob, 1), { transient: true as const });
    const { compression, data } = await decompress(source, 'layer');
    expect(compression).toBe('gzip');
    const got = await run(data);
    expect('data' in got && got.data.equals(big)).toBe(true);
  });

  test('a plain tar from a transient source is copied into reused memory, not fresh', async () => {
    const plain = mixed(4 * MIB + 99);
    const source = Object.assign(transient(plain, 7), { transient: true as const });
    const { compression, data } = await decompress(source, 'layer');
    expect(compression).toBe('none');
    const memory = new Set<ArrayBufferLike>();
    const parts: Buffer[] = [];
    let previous: { view: Buffer; copy: Buffer } | undefined;
    for await (const chunk of data) {
      if (previous) expect(previous.view.equals(previous.copy)).toBe(true);
      previous = { view: chunk, copy: Buffer.from(chunk) };
      memory.add(chunk.buffer);
      parts.push(previous.copy);
    }
    expect(Buffer.concat(parts).equals(plain)).toBe(true);
    expect(parts.length).toBeGreaterThan(10);
    expect(memory.size).toBeLessThanOrEqual(3);
    expect(inflated.held).toBe(0);
  });

  test('file writes in flight hold their chunk', async () => {
    const writes = new FileWrites();
    const chunk = inflated.take();
    chunk.fill(7);
    const fd = openSync(path.join(tmp.dir, 'f'), 'w');
    writes.open(fd);
    await writes.write(fd, chunk.subarray(0, 4096), 0);
    inflated.release(chunk); // the giver is done with it; the write is not yet
    expect(inflated.held).toBe(1);
    writes.close(fd, () => undefined);
    await writes.drain();
    expect(inflated.held).toBe(0);
    expect(readFileSync(path.join(tmp.dir, 'f')).equals(Buffer.alloc(4096, 7))).toBe(true);
  });

  test('a layer of big files straddling the chunks unpacks to the tar, from a transient source', async () => {
    const entries = Array.from({ length: 12 }, (_, i) => ({ type: 'file' as const, name: `d/f${i}`, data: mixed(300_000 + i * 97_001) }));
    const tar = layerTar(entries);
    const dest = path.join(tmp.dir, 'out');
    mkdirSync(dest);
    const source = Object.assign(transient(gzipSync(tar)), { transient: true as const });
    await unpackLayer(source, dest, { layer: 'layer', diffId: digestOf(tar) });
    for (const e of entries) expect(readFileSync(path.join(dest, e.name)).equals(e.data)).toBe(true);
    expect(Object.keys(describeTree(dest))).toContain('d/f11');
    expect(inflated.held).toBe(0);
  });
});
