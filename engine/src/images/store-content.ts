/**
 * The registry client reads and writes through `ContentSink` /
 * `ContentSource`; the store has its own content store. This adapter joins
 * them, so pulls, pushes, saves and loads go straight to and from
 * `<root>/blobs` with the store's verification (digest and size checked
 * before a blob gets its name).
 */
import { Readable } from 'node:stream';
import type { BlobWriter, ContentStore as RegistryContent, Descriptor } from '@berth/registry-client';
import type { Store } from '@berth/store';
import { LayerFeedRestarted, type LayerFeed, type LayerFeeds } from './layer-feed';

type BlobIngest = Awaited<ReturnType<Store['content']['ingestWriter']>>;

export class StoreContent implements RegistryContent {
  constructor(
    private readonly store: Store,
    /** Called with each digest before it is written, so a lease can protect it from GC. */
    private readonly beforeWrite: (digest: string) => Promise<void> = async () => {},
    /** Layers an unpack reads as they download (see LayerFeeds). */
    private readonly feeds?: LayerFeeds,
  ) {}

  has(digest: string): Promise<boolean> {
    return this.store.content.has(digest);
  }

  async writer(desc: Descriptor): Promise<BlobWriter> {
    await this.beforeWrite(desc.digest);
    const ingest = await this.store.content.ingestWriter({ digest: desc.digest, size: desc.size });
    return new IngestWriter(ingest, this.feeds?.open(desc.digest), this.feeds);
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
 * Writes chunks straight into the store's ingest file (`ingestWriter`: each
 * hashed and written before `write` settles, so the registry client may read
 * into pooled memory), and into the layer's feed when an unpack reads the
 * layer as it downloads (a write then also waits for the unpack to be done
 * with the chunk). Commit verifies size and digest before the rename.
 */
class IngestWriter implements BlobWriter {
  /** The store's ingest checks size and digest before the rename: the registry client need not hash too. */
  readonly verifies = true;
  /** No reference to a chunk is kept once its write settles. */
  readonly releasesChunks = true;

  constructor(
    private readonly ingest: BlobIngest,
    private feed: LayerFeed | undefined,
    private readonly feeds: LayerFeeds | undefined,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    const feed = this.feed;
    if (!feed) return this.ingest.write(chunk);
    const fed = feed.write(chunk);
    try {
      await this.ingest.write(chunk);
    } catch (err) {
      feed.fail(err);
      throw err;
    } finally {
      await fed; // the unpack is done with the chunk's memory
    }
  }

  async truncate(): Promise<void> {
    // what the unpack read is void; it unpacks the stored blob once it is in
    this.feed?.fail(new LayerFeedRestarted(this.feed.digest));
    this.feed = undefined;
    await this.ingest.truncate();
  }

  async commit(): Promise<void> {
    try {
      await this.ingest.commit();
    } catch (err) {
      this.feed?.fail(err);
      throw err;
    }
    this.feed?.end();
  }

  async abort(): Promise<void> {
    this.feed?.fail(new Error(`the download of ${this.feed.digest} failed`));
    // the pull fails once its downloads in flight end: none of them may wait for an unpack
    // that waits for this blob (the config, say)
    this.feeds?.close();
    await this.ingest.abort();
  }
}
