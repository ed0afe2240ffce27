import type { Readable } from 'node:stream';
import type { BlobWriter } from './content';
import type { StreamHash } from './hasher';

/** Bytes handed to the writer and not yet written before the socket is paused. */
const MAX_QUEUED_BYTES = 4 << 20;

/**
 * Hashes a blob's chunks as they arrive and hands them to the writer, one
 * write at a time and in order, without waiting for each write: the caller
 * is told to wait only when too much is queued. Chunks are passed on as
 * received (no copies: fresh large buffers cost page faults per MiB).
 */
export class WritePipe {
  /** Resolves when everything pushed so far is written. */
  private chain: Promise<void> = Promise.resolve();
  private queuedBytes = 0;
  private failure?: { err: unknown };

  constructor(
    private readonly writer: BlobWriter,
    private hash: StreamHash,
    /** Pooled chunks (see direct.ts) keep this low: every queued byte is pool memory. */
    private readonly maxQueued = MAX_QUEUED_BYTES,
  ) {}

  /**
   * Takes a chunk; returns a promise when the caller should wait before the
   * next one. `release` is called once the hash and the writer are done with
   * the chunk's memory (the writer must be one that `releasesChunks`).
   */
  push(chunk: Buffer, release?: () => void): Promise<void> | undefined {
    if (this.failure) {
      release?.();
      return Promise.reject(this.failure.err);
    }
    const hashed = this.hash.update(chunk);
    this.queuedBytes += chunk.length;
    const written = this.chain.then(() => this.writer.write(chunk));
    this.chain = written;
    written.then(
      () => void (this.queuedBytes -= chunk.length),
      (err: unknown) => void (this.failure ??= { err }),
    );
    // Both must be done with the bytes, whatever their outcome: a failed hash may settle before the write starts.
    if (release) void Promise.allSettled(hashed ? [hashed, written] : [written]).then(release);
    const full = this.queuedBytes >= this.maxQueued ? written : undefined;
    return hashed && full ? Promise.all([hashed, full]).then(() => undefined) : (hashed ?? full);
  }

  /** Waits until everything is written. */
  async flush(): Promise<void> {
    await this.chain;
  }

  /** Waits for the writes in flight; then the blob can start over with `hash`. */
  async restart(hash: StreamHash): Promise<void> {
    await this.chain;
    this.hash = hash;
  }

  /** Waits for the writes in flight, whatever their outcome (before aborting the writer). */
  async settle(): Promise<void> {
    await this.chain.catch(() => undefined);
  }
}

/**
 * Feeds a response body to `onChunk` as it arrives; while the promise
 * `onChunk` returns is pending, the body (and so the socket) is paused.
 * Rejects with the first error of either; the body is destroyed then.
 */
export function pump(body: Readable, onChunk: (chunk: Buffer) => Promise<void> | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let waiting = false;
    let ended = false;
    let settled = false;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', finish);
      if (err === undefined) return resolve();
      body.on('error', () => undefined); // the destroy below may report an abort
      body.destroy();
      reject(err);
    };
    const onEnd = (): void => {
      ended = true;
      if (!waiting) finish();
    };
    const onData = (chunk: Buffer): void => {
      let wait: Promise<void> | undefined;
      try {
        wait = onChunk(chunk);
      } catch (err) {
        return finish(err);
      }
      if (!wait) return;
      waiting = true;
      body.pause();
      wait.then(
        () => {
          waiting = false;
          if (ended) finish();
          else if (!settled) body.resume();
        },
        (err: unknown) => finish(err),
      );
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', finish);
  });
}
