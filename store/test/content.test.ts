import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { DigestMismatchError, SizeMismatchError, digestOf } from '@berth/spec';
import { ContentStore, NotFoundError, StoreLayout, resolveRoot } from '@berth/store';
import { useTempDir } from './helpers/tmp';

const tmp = useTempDir();

function store(): ContentStore {
  return new ContentStore(new StoreLayout(tmp.dir));
}

describe('content store', () => {
  test('ingests a stream under blobs/sha256/<hex> after verifying it', async () => {
    const data = Buffer.from('hello berth');
    const digest = digestOf(data);
    const info = await store().ingest(Readable.from([data.subarray(0, 3), data.subarray(3)]), { digest, size: data.length });
    expect(info).toEqual({ digest, size: data.length });
    const file = path.join(tmp.dir, 'blobs', 'sha256', digest.slice(7));
    expect(existsSync(file)).toBe(true);
    expect((await store().readBytes(digest)).toString()).toBe('hello berth');
    expect(await store().verify(digest)).toBe(true);
  });

  test('a wrong digest or size stores nothing, not even a temp file', async () => {
    const digest = digestOf('expected');
    await expect(store().ingest(Readable.from([Buffer.from('other')]), { digest })).rejects.toBeInstanceOf(DigestMismatchError);
    await expect(
      store().ingest(Readable.from([Buffer.from('expected')]), { digest, size: 3 }),
    ).rejects.toBeInstanceOf(SizeMismatchError);
    await expect(
      store().ingest(Readable.from([Buffer.from('expected')]), { digest, size: 30 }),
    ).rejects.toBeInstanceOf(SizeMismatchError);
    expect(readdirSync(path.join(tmp.dir, 'blobs', 'sha256'))).toEqual([]);
    expect(await store().has(digest)).toBe(false);
  });

  test('a source that fails midway leaves no blob', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('part');
      throw new Error('connection reset');
    }
    await expect(store().ingest(failing(), { digest: digestOf('partial') })).rejects.toThrow('connection reset');
    expect(readdirSync(path.join(tmp.dir, 'blobs', 'sha256'))).toEqual([]);
  });

  test('write() names a blob by its computed digest; list and delete', async () => {
    const a = await store().writeBytes('a');
    const b = await store().write(Readable.from([Buffer.from('bb')]));
    expect(a.digest).toBe(digestOf('a'));
    expect((await store().list()).map((x) => x.digest).sort()).toEqual([a.digest, b.digest].sort());
    expect(await store().delete(a.digest)).toBe(true);
    expect(await store().delete(a.digest)).toBe(false);
    await expect(store().readBytes(a.digest)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store().open(a.digest)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('concurrent ingests of the same digest from several processes store one complete copy', async () => {
    const data = Buffer.alloc(4 << 20, 7);
    const digest = digestOf(data);
    const src = path.join(tmp.dir, 'src.bin');
    await writeFile(src, data);
    // each child runs the content store from source through the same swc transform jest uses
    const runner = path.join(__dirname, 'helpers', 'ingest-child.js');
    const children = Array.from({ length: 4 }, () =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, [runner, tmp.dir, src, digest], { stdio: 'inherit' });
        child.on('exit', (code) => resolve(code ?? -1));
      }),
    );
    const inProcess = store().ingest(Readable.from([data]), { digest, size: data.length });
    expect(await Promise.all(children)).toEqual([0, 0, 0, 0]);
    await inProcess;
    expect(readdirSync(path.join(tmp.dir, 'blobs', 'sha256'))).toEqual([digest.slice(7)]);
    expect(await store().verify(digest)).toBe(true);
  });
});

describe('resolveRoot', () => {
  test('argument, then BERTH_ROOT, then /var/lib/berth', () => {
    expect(resolveRoot('/x/y', { BERTH_ROOT: '/z' })).toBe('/x/y');
    expect(resolveRoot(undefined, { BERTH_ROOT: '/z' })).toBe('/z');
    expect(resolveRoot(undefined, {})).toBe('/var/lib/berth');
  });
});
