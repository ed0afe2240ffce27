// ChunkReader: a blob read into two reused buffers (no fresh memory per read), for the unpack.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { digestOf } from '@berth/spec';
import { ContentStore, LayerError, NotFoundError, StoreLayout, decompress, unpackLayer } from '@berth/store';
import { CHUNK_BYTES, ChunkReader } from '../src/chunk-reader';
import { useTempDir } from './helpers/tmp';
import { describeTree, layerTar } from './helpers/layers';

const tmp = useTempDir('berth-chunk-reader-');
const openFds = (): number => readdirSync('/proc/self/fd').length;

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

describe('ChunkReader', () => {
  test('gives the file in order, in two buffers used in turn, and closes it at the end', async () => {
    const data = randomBytes(3 * CHUNK_BYTES + 1234);
    const file = path.join(tmp.dir, 'blob');
    writeFileSync(file, data);
    const before = openFds();
    const reader = await ChunkReader.open(file);
    const memory: ArrayBufferLike[] = [];
    const parts: Buffer[] = [];
    for await (const chunk of reader) {
      memory.push(chunk.buffer);
      parts.push(Buffer.from(chunk));
    }
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(memory).toHaveLength(4);
    expect(memory[2]).toBe(memory[0]);
    expect(memory[3]).toBe(memory[1]);
    expect(memory[1]).not.toBe(memory[0]);
    expect(openFds()).toBe(before);
  });

  test('destroy closes the file, before or during reading', async () => {
    const file = path.join(tmp.dir, 'blob');
    writeFileSync(file, randomBytes(3 * CHUNK_BYTES));
    const before = openFds();
    const unread = await ChunkReader.open(file);
    expect(openFds()).toBe(before + 1);
    await unread.close();
    expect(openFds()).toBe(before);
    const midway = await ChunkReader.open(file);
    const it = midway[Symbol.asyncIterator]();
    await it.next();
    // a read is in flight now (the next chunk): the descriptor is closed once it is done
    midway.destroy();
    expect((await it.next()).done).toBe(true);
    expect(openFds()).toBe(before);
  });

  test('a missing blob is NotFoundError', async () => {
    const content = new ContentStore(new StoreLayout(tmp.dir));
    await expect(content.openChunks(digestOf('nothing'))).rejects.toBeInstanceOf(NotFoundError);
  });

  test('gzip, zstd and plain layers unpack from it to the same tree; a corrupt gzip blob is a LayerError', async () => {
    const tar = layerTar([
      { type: 'file', name: 'big', data: randomBytes(2 * CHUNK_BYTES + 17) },
      { type: 'file', name: 'small', data: 'small' },
    ]);
    const zst = spawnSync('zstd', ['-q', '-c'], { input: tar, maxBuffer: 64 << 20 }).stdout;
    const gz = gzipSync(tar, { level: 1 });
    const trees = [];
    for (const [name, blob] of [['plain', tar], ['gzip', gz], ['zstd', zst]] as const) {
      const file = path.join(tmp.dir, `${name}.blob`);
      writeFileSync(file, blob);
      const dest = path.join(tmp.dir, name);
      mkdirSync(dest);
      const result = await unpackLayer(await ChunkReader.open(file), dest, { layer: name, diffId: digestOf(tar) });
      expect(result.compression).toBe(name === 'plain' ? 'none' : name);
      trees.push(describeTree(dest));
    }
    expect(trees[1]).toEqual(trees[0]);
    expect(trees[2]).toEqual(trees[0]);

    const corrupt = Buffer.from(gz);
    corrupt.fill(0x55, CHUNK_BYTES, CHUNK_BYTES + 4096);
    const file = path.join(tmp.dir, 'corrupt.blob');
    writeFileSync(file, corrupt);
    const { data } = await decompress(await ChunkReader.open(file), 'corrupt');
    await expect(collect(data)).rejects.toBeInstanceOf(LayerError);
  });
});
