/**
 * The content store: immutable blobs named by their digest. Ingest streams
 * into a temp file in the same directory while hashing, checks digest and
 * size, fsyncs, then renames; a blob under its final name is always complete
 * and verified. Two processes ingesting the same digest each write their own
 * temp file and the second rename replaces identical bytes, so it is safe.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  Digester,
  DigestMismatchError,
  SizeMismatchError,
  parseDigest,
  validateDigest,
  type Digest,
  type DigestAlgorithm,
} from '@berth/spec';
import { TEMP_PREFIX, fsyncDir, tempName } from './atomic';
import { ChunkReader, type TransientChunks } from './chunk-reader';
import { NotFoundError } from './errors';
import { IngestFile, STORED, type BlobIngest } from './ingest-file';
import { StoreLayout } from './layout';

export interface IngestExpectation {
  /** The digest the content must have. */
  readonly digest: string;
  /** The size it must have, when known (a descriptor's `size`). */
  readonly size?: number;
}

export interface BlobInfo {
  readonly digest: Digest;
  readonly size: number;
}

export class ContentStore {
  readonly layout: StoreLayout;

  constructor(layout: StoreLayout) {
    this.layout = layout;
  }

  /** The path of a blob (whether or not it exists). */
  path(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.layout.blobDir(algorithm), hex);
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fs.access(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async stat(digest: string): Promise<BlobInfo> {
    try {
      const st = await fs.stat(this.path(digest));
      return { digest: validateDigest(digest), size: st.size };
    } catch (err) {
      throw this.missing(digest, err);
    }
  }

  /**
   * Stores a stream whose digest is known in advance; fails with
   * DigestMismatchError / SizeMismatchError (and stores nothing) if it is not
   * what `expected` says. Returns at once if the blob is already stored (a
   * Readable source is then destroyed; callers with other sources should
   * check `has()` first rather than open a download for nothing).
   */
  async ingest(source: AsyncIterable<Uint8Array> | Readable, expected: IngestExpectation): Promise<BlobInfo> {
    const digest = validateDigest(expected.digest);
    if (await this.has(digest)) {
      if (source instanceof Readable) source.destroy();
      return this.stat(digest);
    }
    const { algorithm } = parseDigest(digest);
    const result = await this.writeTemp(source, algorithm, expected.size, digest);
    if (result.digest !== digest) {
      await fs.rm(result.tmp, { force: true });
      throw new DigestMismatchError(digest, result.digest, `blob ${digest}`);
    }
    await this.commit(result.tmp, digest);
    return { digest, size: result.size };
  }

  /**
   * A blob written chunk by chunk, each chunk's memory free for reuse once
   * its write settles (IngestFile); verified at commit as by `ingest`. When
   * the blob is stored already, writes are dropped.
   */
  async ingestWriter(expected: IngestExpectation): Promise<BlobIngest> {
    if (await this.has(validateDigest(expected.digest))) return STORED;
    return IngestFile.open(this.path(expected.digest), expected);
  }

  /** Stores a stream whose digest is not known yet (a freshly made layer) and returns it. */
  async write(source: AsyncIterable<Uint8Array> | Readable, algorithm: DigestAlgorithm = 'sha256'): Promise<BlobInfo> {
    const result = await this.writeTemp(source, algorithm);
    await this.commit(result.tmp, result.digest);
    return { digest: result.digest, size: result.size };
  }

  /** Stores bytes in memory (manifests, configs), verifying them against `expected` if given. */
  async writeBytes(data: Uint8Array | string, expected?: IngestExpectation): Promise<BlobInfo> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const source = Readable.from([buf]);
    return expected ? this.ingest(source, expected) : this.write(source);
  }

  /** A read stream of a blob; NotFoundError if it is not stored. */
  async open(digest: string): Promise<Readable> {
    const file = this.path(digest);
    const fh = await fs.open(file, 'r').catch((err: unknown) => {
      throw this.missing(digest, err);
    });
    return fh.createReadStream({ highWaterMark: 1 << 20 });
  }

  /**
   * A blob's bytes in chunks whose memory is reused once the next is asked
   * for (ChunkReader): for a reader that is done with each chunk by then,
   * such as the unpack; NotFoundError if it is not stored.
   */
  async openChunks(digest: string): Promise<TransientChunks> {
    return ChunkReader.open(this.path(digest)).catch((err: unknown) => {
      throw this.missing(digest, err);
    });
  }

  async readBytes(digest: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.path(digest));
    } catch (err) {
      throw this.missing(digest, err);
    }
  }

  /** Removes a blob; returns whether it was there. */
  async delete(digest: string): Promise<boolean> {
    try {
      await fs.unlink(this.path(digest));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Every stored blob (temp files excluded). */
  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    for (const algorithm of ['sha256', 'sha512'] as const) {
      const dir = this.layout.blobDir(algorithm);
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (name.startsWith(TEMP_PREFIX)) continue;
        const digest = `${algorithm}:${name}`;
        try {
          validateDigest(digest);
        } catch {
          continue;
        }
        const st = await fs.stat(path.join(dir, name)).catch(() => undefined);
        if (st?.isFile()) out.push({ digest: digest as Digest, size: st.size });
      }
    }
    return out.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  }

  /** Rehashes a stored blob; false if its content no longer matches its name. */
  async verify(digest: string): Promise<boolean> {
    const d = new Digester(parseDigest(digest).algorithm);
    for await (const chunk of await this.open(digest)) d.update(chunk as Buffer);
    return d.digest() === digest;
  }

  private async writeTemp(
    source: AsyncIterable<Uint8Array> | Readable,
    algorithm: DigestAlgorithm,
    size?: number,
    what?: string,
  ): Promise<{ tmp: string; digest: Digest; size: number }> {
    const dir = this.layout.blobDir(algorithm);
    await fs.mkdir(dir, { recursive: true });
    const tmp = tempName(dir);
    const fh = await fs.open(tmp, 'wx', 0o644);
    const digester = new Digester(algorithm);
    try {
      const sink = new Writable({
        highWaterMark: 1 << 20,
        write(chunk: Buffer, _enc, cb) {
          digester.update(chunk);
          if (size !== undefined && digester.size > size) {
            cb(new SizeMismatchError(what ?? 'blob', size, digester.size, true));
            return;
          }
          fh.write(chunk).then(() => cb(), cb);
        },
      });
      await pipeline(source, sink);
      if (size !== undefined && digester.size !== size) {
        throw new SizeMismatchError(what ?? 'blob', size, digester.size);
      }
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    return { tmp, digest: digester.digest(), size: digester.size };
  }

  private async commit(tmp: string, digest: string): Promise<void> {
    try {
      await fs.rename(tmp, this.path(digest));
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await fsyncDir(path.dirname(tmp));
  }

  private missing(digest: string, err: unknown): unknown {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new NotFoundError(`blob ${digest} is not in the content store`);
    return err;
  }
}
