import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Store } from '@berth/store';
import { StoreContent } from '../../src/images/store-content';
import { rmrf, tempDir } from '../helpers';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const desc = (b: Buffer): { mediaType: string; digest: string; size: number } => ({ mediaType: 'application/octet-stream', digest: sha(b), size: b.length });

let root: string;
let store: Store;
beforeEach(() => {
  root = tempDir('berth-engine-content-');
  store = new Store({ root });
});
afterEach(() => rmrf(root));

const blobFiles = (): string[] => readdirSync(path.join(root, 'blobs/sha256')).sort();

describe('StoreContent (the registry client writing into the store)', () => {
  it('stores a blob written in chunks, after a truncate, under its digest only at commit', async () => {
    const data = Buffer.alloc(3 << 20, 7);
    const content = new StoreContent(store);
    const w = await content.writer(desc(data));
    await w.write(Buffer.from('garbage that a server restart makes us drop'));
    await w.truncate();
    for (let i = 0; i < data.length; i += 65536) await w.write(data.subarray(i, i + 65536));
    expect(await content.has(sha(data))).toBe(false);
    await w.commit();
    expect(await content.has(sha(data))).toBe(true);
    expect(blobFiles()).toEqual([sha(data).slice(7)]);
    expect(await content.blobSize(sha(data))).toBe(data.length);
    const tail: Buffer[] = [];
    for await (const c of content.openBlob(sha(data), data.length - 10)) tail.push(c as Buffer);
    expect(Buffer.concat(tail)).toEqual(data.subarray(data.length - 10));
  });

  it('refuses content that does not match the digest and leaves no temp file; abort leaves nothing either', async () => {
    const data = Buffer.from('the real content');
    const content = new StoreContent(store);
    const w = await content.writer(desc(data));
    await w.write(Buffer.from('something else!!'));
    await expect(w.commit()).rejects.toThrow(/sha256/);
    const a = await content.writer(desc(data));
    await a.write(data.subarray(0, 4));
    await a.abort();
    await a.abort();
    expect(blobFiles()).toEqual([]);
  });

  it('a blob stored by someone else meanwhile: the writer finishes without error or leaks', async () => {
    const data = Buffer.alloc(4 << 20, 1);
    const content = new StoreContent(store);
    const w = await content.writer(desc(data));
    await store.content.writeBytes(data, { digest: sha(data), size: data.length });
    for (let i = 0; i < data.length; i += 65536) await w.write(data.subarray(i, i + 65536));
    await w.commit();
    expect(blobFiles()).toEqual([sha(data).slice(7)]);
  });

  it('keeps no reference to a chunk once its write settles, so the registry client may read into pooled memory', async () => {
    const data = Buffer.alloc(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const content = new StoreContent(store);
    const w = await content.writer(desc(data));
    expect(w.releasesChunks).toBe(true);
    const block = Buffer.alloc(65536);
    for (let i = 0; i < data.length; i += block.length) {
      data.copy(block, 0, i, i + block.length);
      await w.write(block);
      block.fill(0xee); // the pool reuses the block for the next read
    }
    await w.commit();
    expect((await content.readBlob(sha(data))).equals(data)).toBe(true);
    // too many bytes: refused at once, nothing stored, no temp file
    const big = await content.writer(desc(Buffer.from('abc')));
    await expect(big.write(Buffer.from('abcd'))).rejects.toThrow(/size/i);
    await big.abort();
    expect(blobFiles()).toEqual([sha(data).slice(7)]);
  });

  it('asks before each write (the lease hook), so GC can be kept off the blob', async () => {
    const seen: string[] = [];
    const data = Buffer.from('x');
    const w = await new StoreContent(store, async (d) => void seen.push(d)).writer(desc(data));
    await w.write(data);
    await w.commit();
    expect(seen).toEqual([sha(data)]);
  });
});
