/**
 * A file read in order into two buffers used in turn, the next read running
 * while the caller works on the current chunk. A chunk is valid only until
 * the iterator is advanced: its memory is read into again.
 *
 * Why: a read stream allocates a fresh buffer per read, and on the VMs
 * measured a first touch of fresh memory costs ~25-45 µs per 4 KiB page, so
 * reading a 20 MiB layer blob back cost ~220 ms of page faults against
 * ~20 ms for the reads themselves (docs/performance.md, pull).
 */
import { promises as fs } from 'node:fs';

export const CHUNK_BYTES = 1 << 20;

/** Buffers of finished readers, for the next (an image's layers are read one after another). */
const spare: Buffer[] = [];
const SPARE_MAX = 4;

/** Chunks whose memory is reused (see above); `destroy` closes the file early. */
export interface TransientChunks extends AsyncIterable<Buffer> {
  readonly transient: true;
  destroy(): void;
}

export class ChunkReader implements TransientChunks {
  readonly transient = true;
  private destroyed = false;
  /** The read in flight, if any: the descriptor must outlive it (its number could be reused). */
  private inflight: Promise<unknown> = Promise.resolve();
  private closed: Promise<void> | undefined;

  private constructor(private readonly fh: fs.FileHandle) {}

  static async open(file: string): Promise<ChunkReader> {
    return new ChunkReader(await fs.open(file, 'r'));
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const buffers = [spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES), spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES)];
    let position = 0;
    const read = (i: number): Promise<Buffer> => {
      const p = this.fh.read(buffers[i], 0, CHUNK_BYTES, position).then(({ bytesRead }) => {
        position += bytesRead;
        return buffers[i].subarray(0, bytesRead);
      });
      this.inflight = p.catch(() => undefined);
      return p;
    };
    try {
      if (this.destroyed) return;
      let next = read(0);
      for (let i = 0; ; i ^= 1) {
        const chunk = await next;
        if (chunk.length === 0 || this.destroyed) return;
        // the other buffer's chunk was handed out before this one, so the caller is done with it
        next = read(i ^ 1);
        yield chunk;
      }
    } finally {
      await this.close();
      // no read is in flight now, and the caller has moved past every chunk
      spare.push(...buffers.slice(0, SPARE_MAX - spare.length));
    }
  }

  /** Stops reading and closes the file (once no read is in flight), whether or not it is being iterated. */
  destroy(): void {
    this.close().catch(() => undefined);
  }

  /** destroy, and wait for the file to be closed. */
  close(): Promise<void> {
    this.destroyed = true;
    this.closed ??= this.inflight.then(() => this.fh.close());
    return this.closed;
  }
}
