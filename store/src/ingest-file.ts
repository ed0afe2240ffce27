/**
 * A blob written chunk by chunk by a caller that reuses each chunk's memory
 * once its write settles (the registry client's pooled reads): each chunk is
 * hashed and written at its position before `write` resolves, so nothing
 * keeps it. `commit` checks size and digest, fsyncs and renames, as
 * `ContentStore.ingest` does; a mismatch stores nothing.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Digester, DigestMismatchError, SizeMismatchError, parseDigest, validateDigest, type Digest } from '@berth/spec';
import { fsyncDir, tempName } from './atomic';

export interface BlobIngest {
  /** Hashes and writes the chunk; the caller may reuse its memory once this settles. Call one at a time, in order. */
  write(chunk: Uint8Array): Promise<void>;
  /** Starts over (a download that restarted from byte 0). */
  truncate(): Promise<void>;
  /** Verifies size and digest, then stores the blob under its digest (DigestMismatchError / SizeMismatchError otherwise). */
  commit(): Promise<void>;
  /** Drops what was written; safe after commit or twice. */
  abort(): Promise<void>;
}

/** The blob is stored already: writes are dropped. */
export const STORED: BlobIngest = {
  write: async () => undefined,
  truncate: async () => undefined,
  commit: async () => undefined,
  abort: async () => undefined,
};

export class IngestFile implements BlobIngest {
  private digester: Digester;
  private position = 0;
  private done = false;

  private constructor(
    private readonly fh: fs.FileHandle,
    private readonly tmp: string,
    private readonly final: string,
    private readonly digest: Digest,
    private readonly size: number | undefined,
  ) {
    this.digester = new Digester(parseDigest(digest).algorithm);
  }

  static async open(final: string, expected: { digest: string; size?: number }): Promise<IngestFile> {
    const digest = validateDigest(expected.digest);
    const dir = path.dirname(final);
    await fs.mkdir(dir, { recursive: true });
    const tmp = tempName(dir);
    return new IngestFile(await fs.open(tmp, 'wx', 0o644), tmp, final, digest, expected.size);
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new Error(`blob ${this.digest}: write after commit or abort`);
    this.digester.update(chunk);
    if (this.size !== undefined && this.digester.size > this.size) {
      throw new SizeMismatchError(`blob ${this.digest}`, this.size, this.digester.size, true);
    }
    const at = this.position;
    this.position += chunk.length;
    for (let off = 0; off < chunk.length; ) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off, at + off);
      off += bytesWritten;
    }
  }

  async truncate(): Promise<void> {
    await this.fh.truncate(0);
    this.position = 0;
    this.digester = new Digester(parseDigest(this.digest).algorithm);
  }

  async commit(): Promise<void> {
    if (this.done) throw new Error(`blob ${this.digest}: commit after commit or abort`);
    this.done = true;
    try {
      if (this.size !== undefined && this.digester.size !== this.size) {
        throw new SizeMismatchError(`blob ${this.digest}`, this.size, this.digester.size);
      }
      const actual = this.digester.digest();
      if (actual !== this.digest) throw new DigestMismatchError(this.digest, actual, `blob ${this.digest}`);
      await this.fh.sync();
      await this.fh.close();
      await fs.rename(this.tmp, this.final);
    } catch (err) {
      await this.fh.close().catch(() => undefined);
      await fs.rm(this.tmp, { force: true });
      throw err;
    }
    await fsyncDir(path.dirname(this.final));
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.fh.close().catch(() => undefined);
    await fs.rm(this.tmp, { force: true });
  }
}
