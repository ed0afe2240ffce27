/** Pull-style reading of exact byte counts from a chunked stream (the tar reader's input). */
export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes consumed so far (for error messages). */
  offset = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async more(): Promise<boolean> {
    const { value, done } = await this.it.next();
    if (done) return false;
    const chunk = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    return true;
  }

  /** Exactly n bytes if they are buffered already, else undefined (then `read`): no await per header. */
  readNow(n: number): Buffer | undefined {
    if (this.pending.length < n) return undefined;
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    this.offset += n;
    return out;
  }

  /** Up to n buffered bytes (at least one), or undefined when none are buffered (then `fill`). */
  takeNow(n: number): Buffer | undefined {
    if (this.pending.length === 0 || n <= 0) return undefined;
    const out = this.pending.subarray(0, Math.min(n, this.pending.length));
    this.pending = this.pending.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  /** Skips n bytes if they are buffered already (true), else skips nothing (false: then `skip`). */
  skipNow(n: number): boolean {
    if (this.pending.length < n) return false;
    this.pending = this.pending.subarray(n);
    this.offset += n;
    return true;
  }

  /** Buffers the next chunk; false at the end of the stream. */
  fill(): Promise<boolean> {
    return this.more();
  }

  /** Exactly n bytes; fewer only at the end of the stream (the caller decides if that is an error). */
  async read(n: number): Promise<Buffer> {
    while (this.pending.length < n) if (!(await this.more())) break;
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  /** n bytes as chunks, without gathering them; stops early at the end of the stream. */
  async *chunks(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.pending.length === 0 && !(await this.more())) return;
      const out = this.pending.subarray(0, Math.min(left, this.pending.length));
      this.pending = this.pending.subarray(out.length);
      this.offset += out.length;
      left -= out.length;
      yield out;
    }
  }

  /** Skips n bytes; returns how many were there. */
  async skip(n: number): Promise<number> {
    let got = 0;
    for await (const c of this.chunks(n)) got += c.length;
    return got;
  }

  /** Releases the source (a file stream closes its descriptor) when reading stops early. */
  async close(): Promise<void> {
    await this.it.return?.();
  }

  /** Reads to the end, so a caller hashing the stream sees every byte (padding after the end marker too). */
  async drain(): Promise<void> {
    this.offset += this.pending.length;
    this.pending = Buffer.alloc(0);
    while (await this.more()) {
      this.offset += this.pending.length;
      this.pending = Buffer.alloc(0);
    }
  }
}
