/**
 * Buffers handed out, given back, and reused once nothing holds them: the
 * gunzip's output memory. On the VMs measured a first touch of fresh memory
 * costs ~25-45 µs per 4 KiB page, so inflating a 20 MiB layer into fresh
 * buffers cost more in page faults than the inflate itself
 * (docs/performance.md, pull).
 *
 * A buffer is held by whoever took it until they `release` it; anyone who
 * keeps a view of its memory past the moment the giver may reuse it (a write
 * in the thread pool) takes a hold of their own with `hold`. Views of memory
 * that is not from here are ignored by both, so callers need not know where
 * a chunk came from.
 */
export class ReusableBuffers {
  private readonly holds = new Map<ArrayBufferLike, { buffer: Buffer; count: number }>();
  private readonly free: Buffer[] = [];

  /** `keep`: how many free buffers stay for the next taker (the rest go to the GC). */
  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}

  /** A buffer of `size` bytes, held once by the caller. */
  take(): Buffer {
    const buffer = this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
    this.holds.set(buffer.buffer, { buffer, count: 1 });
    return buffer;
  }

  /** Another hold on the buffer under `view`, if it is one of these. */
  hold(view: Uint8Array): void {
    const entry = this.holds.get(view.buffer);
    if (entry) entry.count++;
  }

  /** Drops a hold; the last one frees the buffer for reuse. */
  release(view: Uint8Array): void {
    const entry = this.holds.get(view.buffer);
    if (!entry || --entry.count > 0) return;
    this.holds.delete(view.buffer);
    if (this.free.length < this.keep) this.free.push(entry.buffer);
  }

  /** Buffers currently held (for tests). */
  get held(): number {
    return this.holds.size;
  }
}

/** The gunzip's output buffers (decompress.ts), held by the file writes in flight (file-writes.ts). */
export const inflated = new ReusableBuffers(1 << 20, 8);
