/**
 * A layer's bytes handed from its download to its unpack as they arrive,
 * so the unpack need not read the blob back once stored. A `write` settles
 * once the unpack is done with the chunk (it asked for the next one) or has
 * stopped reading, so the download may reuse the chunk's memory then; the
 * download waits for the unpack, never the other way round.
 *
 * The unpack sees the end only after the blob has been verified and stored
 * (`end`); a restarted download or a failed one ends it with an error
 * instead (`fail`). The unpack must still check `verified` before it keeps
 * what it unpacked: it may stop reading before the end (trailing bytes).
 */
export class LayerFeedRestarted extends Error {
  readonly code = 'ERR_BERTH_LAYER_FEED_RESTARTED';
  constructor(digest: string) {
    super(`the download of ${digest} restarted; the layer is unpacked from the stored blob instead`);
  }
}

export class LayerFeed implements AsyncIterable<Buffer> {
  /** Each chunk is valid only until the next is asked for (see store's TransientChunks). */
  readonly transient = true;
  /** Settles with the download: resolves once the blob is verified and stored, rejects if it is not. */
  readonly verified: Promise<void>;
  private readonly queue: { chunk: Buffer; done: () => void }[] = [];
  /** The chunk last handed to the unpack, until it asks for the next one. */
  private handed: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private outcome: { ok: true } | { ok: false; err: unknown } | undefined;
  private detached = false;
  private claimed = false;
  private settle!: { resolve: () => void; reject: (err: unknown) => void };

  constructor(readonly digest: string) {
    this.verified = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.verified.catch(() => undefined); // observed by whoever unpacks; no one may, after a restart
  }

  /** Takes the feed for one unpack; false if another has it or it can no longer be read from the start. */
  claim(): boolean {
    if (this.claimed || this.detached || this.outcome) return false;
    this.claimed = true;
    return true;
  }

  write(chunk: Buffer): Promise<void> {
    if (this.detached || this.outcome) return Promise.resolve();
    return new Promise<void>((done) => {
      this.queue.push({ chunk, done });
      this.wake?.();
    });
  }

  /** The blob is verified and stored: the unpack sees the end after the last chunk. */
  end(): void {
    if (this.outcome) return;
    this.outcome = { ok: true };
    this.settle.resolve();
    this.wake?.();
  }

  /**
   * The download failed or restarted: the unpack gets `err` when it asks for
   * its next chunk; later writes pass straight through. The chunk it holds
   * stays its own until then (its write settles when it asks).
   */
  fail(err: unknown): void {
    if (this.outcome) return;
    this.outcome = { ok: false, err };
    this.settle.reject(err);
    for (const q of this.queue.splice(0)) q.done();
    this.wake?.();
  }

  /** No unpack reads this feed (any more): every write settles at once. */
  detach(): void {
    this.detached = true;
    this.handed?.();
    this.handed = undefined;
    for (const q of this.queue.splice(0)) q.done();
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        this.handed?.();
        this.handed = undefined;
        while (this.queue.length === 0 && !this.outcome && !this.detached) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          this.wake = undefined;
        }
        if (this.outcome && !this.outcome.ok) throw this.outcome.err;
        const next = this.queue.shift();
        if (next) {
          this.handed = next.done;
          yield next.chunk;
          continue;
        }
        if (this.detached && !this.outcome) throw new Error(`the feed of ${this.digest} was detached`);
        return;
      }
    } finally {
      this.detach();
    }
  }

  /** The unpack stops early (its stream is destroyed): writes pass through from now on. */
  destroy(): void {
    this.detach();
  }
}

/**
 * The feeds of one pull: the unpack says which layers it will read as they
 * download (`want`), the store's writer opens a feed when a wanted layer's
 * download starts, and the unpack takes it (`take`) or, when the blob was
 * stored without a download, reads the stored blob. A feed no unpack will
 * read is detached, so its download never waits for one.
 */
export class LayerFeeds {
  private readonly feeds = new Map<string, LayerFeed>();
  /** Unpacks that may still take a digest's feed. */
  private readonly interest = new Map<string, number>();
  private readonly waiters = new Map<string, ((f: LayerFeed) => void)[]>();
  private closed = false;

  want(digest: string): void {
    if (!this.closed) this.interest.set(digest, (this.interest.get(digest) ?? 0) + 1);
  }

  /** For the writer: the feed of a wanted layer's download (one per digest), else undefined. */
  open(digest: string): LayerFeed | undefined {
    if (this.closed || !this.interest.get(digest) || this.feeds.has(digest)) return undefined;
    const feed = new LayerFeed(digest);
    this.feeds.set(digest, feed);
    for (const w of this.waiters.get(digest) ?? []) w(feed);
    this.waiters.delete(digest);
    return feed;
  }

  /**
   * For an unpack that wanted `digest`: its feed once the download starts,
   * or undefined once `stored()` resolves first (read the stored blob then) or
   * another unpack has the feed.
   */
  async take(digest: string, stored: () => Promise<void>): Promise<LayerFeed | undefined> {
    let feed = this.feeds.get(digest);
    if (!feed) {
      feed = await Promise.race([
        new Promise<LayerFeed>((resolve) => this.waiters.set(digest, [...(this.waiters.get(digest) ?? []), resolve])),
        stored().then(() => this.feeds.get(digest)),
      ]);
    }
    const mine = feed?.claim() === true;
    this.drop(digest);
    return mine ? feed : undefined;
  }

  /** An unpack that wanted `digest` will not read it (its snapshot exists, or it failed). */
  drop(digest: string): void {
    const left = (this.interest.get(digest) ?? 0) - 1;
    if (left > 0) return void this.interest.set(digest, left);
    this.interest.delete(digest);
    const feed = this.feeds.get(digest);
    if (feed && !feed.claim()) return; // claimed: its unpack reads it
    feed?.detach();
  }

  /** The unpacks are over (or a download failed, so the pull will): no feed waits for a reader any more. */
  close(): void {
    this.closed = true;
    this.interest.clear();
    this.waiters.clear();
    for (const feed of this.feeds.values()) if (feed.claim()) feed.detach();
  }
}
