/**
 * Blobs a pull has put in the store so far, for the unpack that runs
 * alongside it: `wait(digest)` resolves once that blob is in (or at once if
 * it is already), rejects when the pull fails before it arrives, and
 * resolves once the pull has ended (a layer it does not fetch, such as a
 * non-distributable one, is then for the store to find or report missing).
 */
export class BlobArrivals {
  private readonly done = new Set<string>();
  private readonly waiting = new Map<string, { resolve: () => void; reject: (err: unknown) => void }[]>();
  private failure: { err: unknown } | undefined;
  private ended = false;

  arrived(digest: string): void {
    this.done.add(digest);
    for (const w of this.waiting.get(digest) ?? []) w.resolve();
    this.waiting.delete(digest);
  }

  /** The pull failed: every wait, now and later, for a blob not in rejects with its error. */
  fail(err: unknown): void {
    this.failure = { err };
    for (const ws of this.waiting.values()) for (const w of ws) w.reject(err);
    this.waiting.clear();
  }

  /** The pull succeeded: nothing more arrives, so no wait waits any longer. */
  end(): void {
    this.ended = true;
    for (const ws of this.waiting.values()) for (const w of ws) w.resolve();
    this.waiting.clear();
  }

  wait(digest: string): Promise<void> {
    if (this.done.has(digest) || this.ended) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure.err);
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(digest) ?? [];
      list.push({ resolve, reject });
      this.waiting.set(digest, list);
    });
  }
}
