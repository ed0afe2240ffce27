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
