/**
 * File contents written off the JS thread while an unpack goes on: each
 * chunk is an `fs.write` in libuv's thread pool (positional, so writes to
 * one file may overlap), and a file's metadata and close run once its writes
 * are done. Unpack's synchronous writes were the largest cost on the thread
 * that also runs the download (docs/performance.md); here the kernel's copy
 * into the page cache runs on another core. At most `maxBytes` are in
 * flight, so a fast source cannot queue the whole layer in memory.
 *
 * The caller must not change a chunk after handing it over; a chunk of the
 * gunzip's reused buffers is held (`inflated.hold`) until its write is done,
 * so the gunzip does not inflate into it meanwhile. The first error is kept and thrown by the next
 * call, and by `drain`; `settle` waits for everything and closes every
 * descriptor whatever happened, for the error path.
 */
import { close, closeSync, write } from 'node:fs';
import { inflated } from './reusable-buffers';

/** Writes this big or bigger go to the thread pool; smaller ones cost less as one synchronous call. */
export const ASYNC_WRITE_MIN = 64 << 10;

interface OpenFile {
  /** Writes issued and not yet done. */
  inFlight: number;
  /** Runs once inFlight is 0 (set by close). */
  onIdle?: () => void;
}

export class FileWrites {
  private bytes = 0;
  private readonly files = new Map<number, OpenFile>();
  /** Closes issued and not yet done. */
  private closing = 0;
  private failure: { err: unknown } | undefined;
  /** Resolved when bytes in flight fall to the limit (someone waits). */
  private roomWaiter: (() => void) | undefined;
  /** Resolved when nothing is in flight and every file is closed. */
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly maxBytes = 16 << 20) {}

  private check(): void {
    if (this.failure) throw this.failure.err;
  }

  private fail(err: unknown): void {
    this.failure ??= { err };
  }

  /** Starts tracking an open descriptor. */
  open(fd: number): void {
    this.check();
    this.files.set(fd, { inFlight: 0 });
  }

  /** Writes `chunk` at `position`; resolves at once unless too much is in flight. */
  async write(fd: number, chunk: Buffer, position: number): Promise<void> {
    this.check();
    const file = this.files.get(fd);
    if (!file) throw new Error(`fd ${fd} is not open in this unpack`);
    this.issue(fd, file, chunk, 0, position);
    while (this.bytes > this.maxBytes && !this.failure) await new Promise<void>((resolve) => (this.roomWaiter = resolve));
    this.check();
  }

  private issue(fd: number, file: OpenFile, chunk: Buffer, offset: number, position: number): void {
    const length = chunk.length - offset;
    file.inFlight++;
    this.bytes += length;
    inflated.hold(chunk);
    write(fd, chunk, offset, length, position, (err, written) => {
      this.bytes -= length;
      file.inFlight--;
      if (err) this.fail(err);
      // a short write (a full disk reports ENOSPC on the retry): write the rest
      else if (written < length) this.issue(fd, file, chunk, offset + written, position + written);
      // after the retry took its own hold
      inflated.release(chunk);
      if (file.inFlight === 0) file.onIdle?.();
      if (this.roomWaiter && (this.bytes <= this.maxBytes || this.failure)) {
        const wake = this.roomWaiter;
        this.roomWaiter = undefined;
        wake();
      }
    });
  }

  /**
   * Once the file's writes are done, runs `finish(fd)` (metadata by
   * descriptor) and closes it; a failure of either is kept for the caller.
   */
  close(fd: number, finish: (fd: number) => void): void {
    const file = this.files.get(fd);
    if (!file) throw new Error(`fd ${fd} is not open in this unpack`);
    file.onIdle = () => {
      try {
        if (!this.failure) finish(fd);
      } catch (err) {
        this.fail(err);
      }
      // forgotten before the close: the kernel may hand the number to the next open at once
      this.files.delete(fd);
      this.closing++;
      close(fd, (err) => {
        this.closing--;
        if (err) this.fail(err);
        this.wakeIfIdle();
      });
    };
    if (file.inFlight === 0) file.onIdle();
  }

  private wakeIfIdle(): void {
    if (this.files.size === 0 && this.closing === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Waits for every write and close; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.check();
  }

  /**
   * Waits for what is in flight and closes every descriptor, even those
   * whose `close` was never called (an unpack that failed mid-file).
   */
  async settle(): Promise<void> {
    for (const [fd, file] of this.files) {
      if (file.onIdle) continue;
      file.onIdle = () => {
        this.files.delete(fd);
        try {
          closeSync(fd);
        } catch (err) {
          this.fail(err);
        }
        this.wakeIfIdle();
      };
      if (file.inFlight === 0) file.onIdle();
    }
    if (this.files.size > 0 || this.closing > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
