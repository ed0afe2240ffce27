import type { Readable } from 'node:stream';
import type { Descriptor } from './types';

/** A blob being written; nothing is visible under its digest until `commit`. */
export interface BlobWriter {
  write(chunk: Buffer): Promise<void>;
  /** Start over (the server ignored a Range request). */
  truncate(): Promise<void>;
  /** Make the blob visible under its digest; the caller has verified it. */
  commit(): Promise<void>;
  /** Drop what was written. Safe to call after commit or twice. */
  abort(): Promise<void>;
  /**
   * The writer checks size and digest itself and `commit()` throws
   * `DigestMismatchError` (storing nothing) when they do not match, as the
   * store's ingest does: the client then does not hash the bytes a second time.
   */
  readonly verifies?: boolean;
  /**
   * `write()` keeps no reference to the chunk once its promise settles (it
   * wrote or copied the bytes): the caller may then reuse the chunk's memory.
   * The client then reads blobs from plain-HTTP registries into a pool of
   * buffers instead of fresh ones (see direct.ts).
   */
  readonly releasesChunks?: boolean;
}

/** Where pulled content goes: a layout directory, the store, memory. */
export interface ContentSink {
  has(digest: string): Promise<boolean>;
  writer(desc: Descriptor): Promise<BlobWriter>;
}

/** Where pushed or saved content comes from. */
export interface ContentSource {
  readBlob(digest: string): Promise<Buffer>;
  openBlob(digest: string, start?: number): Readable;
  /**
   * The blob from `start` as chunks in reused memory: each is valid only
   * until the next one is asked for. Pushes send these as undici's iterable
   * request body, which asks for the next chunk only once the socket has
   * taken the last one; fresh memory per read costs a page fault per 4 KiB.
   */
  blobChunks?(digest: string, start?: number): AsyncIterable<Buffer>;
  blobSize(digest: string): Promise<number>;
}

export type ContentStore = ContentSink & ContentSource;
