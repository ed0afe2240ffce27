/**
 * The registry client reads and writes through `ContentSink` /
 * `ContentSource`; the store has its own content store. This adapter joins
 * them, so pulls, pushes, saves and loads go straight to and from
 * `<root>/blobs` with the store's verification (digest and size checked
 * before a blob gets its name).
 */
import { PassThrough, Readable } from 'node:stream';
import type { BlobWriter, ContentStore as RegistryContent, Descriptor } from '@berth/registry-client';
import type { Store } from '@berth/store';

export class StoreContent implements RegistryContent {
  constructor(
    private readonly store: Store,
    /** Called with each digest before it is written, so a lease can protect it from GC. */
    private readonly beforeWrite: (digest: string) => Promise<void> = async () => {},
  ) {}

  has(digest: string): Promise<boolean> {
    return this.store.content.has(digest);
  }

  async writer(desc: Descriptor): Promise<BlobWriter> {
    await this.beforeWrite(desc.digest);
    return new IngestWriter(this.store, desc);
  }

  readBlob(digest: string): Promise<Buffer> {
    return this.store.content.readBytes(digest);
  }

  openBlob(digest: string, start = 0): Readable {
    // The store opens asynchronously; a generator lets us hand out the stream at once
    // (backpressure and early destroy are Readable.from's, and close the file).
    const store = this.store;
    async function* chunks(): AsyncGenerator<Buffer> {
      let skip = start;
      for await (const chunk of await store.content.open(digest)) {
        let buf = chunk as Buffer;
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          buf = buf.subarray(n);
          skip -= n;
        }
        if (buf.length > 0) yield buf;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async blobSize(digest: string): Promise<number> {
    return (await this.store.content.stat(digest)).size;
  }
}

/**
 * Streams chunks into `store.content.ingest`, which verifies and renames at
 * the end. If another process stored the blob meanwhile, ingest returns at
 * once and later chunks are dropped.
 */
class IngestWriter implements BlobWriter {
  /** The store's ingest checks size and digest before the rename: the registry client need not hash too. */
  readonly verifies = true;
  private pass!: PassThrough;
  private done!: Promise<unknown>;
  private failure: Error | undefined;
  /** Ingest has finished: the blob is stored (by us or by someone else). */
  private settled = false;
  private finished = false;

  constructor(
    private readonly store: Store,
    private readonly desc: Descriptor,
  ) {
    this.start();
  }

  private start(): void {
    this.failure = undefined;
    this.settled = false;
    const pass = new PassThrough({ highWaterMark: 1 << 20 });
    // Destroying it (truncate, abort) must not crash the process when ingest is not reading yet.
    pass.on('error', () => {});
    this.pass = pass;
    this.done = this.store.content.ingest(pass, { digest: this.desc.digest, size: this.desc.size }).then(
      () => {
        if (this.pass === pass) this.settled = true;
      },
      (err: unknown) => {
        if (this.pass === pass) this.failure = err as Error;
        throw err;
      },
    );
    this.done.catch(() => {}); // observed in commit; aborted ingests are expected to fail
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.settled || this.pass.write(chunk)) return;
    const pass = this.pass;
    let onDrain = (): void => {};
    const drained = new Promise<void>((resolve) => {
      onDrain = resolve;
      pass.once('drain', onDrain);
    });
    try {
      await Promise.race([drained, this.done]);
    } finally {
      pass.off('drain', onDrain); // no listener left behind, whichever won
    }
    if (this.failure) throw this.failure;
  }

  async truncate(): Promise<void> {
    this.pass.destroy(new Error('restarted'));
    await this.done.catch(() => {});
    this.start();
  }

  async commit(): Promise<void> {
    this.pass.end();
    await this.done;
    this.finished = true;
  }

  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.pass.destroy(new Error('aborted'));
    await this.done.catch(() => {});
  }
}
