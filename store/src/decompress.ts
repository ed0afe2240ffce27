/**
 * Layer decompression chosen by magic bytes (media types lie often enough):
 * gzip through zlib, zstd through Debian's `zstd` program (Node 20's zlib has
 * no zstd), anything else passed through as a plain tar.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { LayerError } from './errors';

export type Compression = 'gzip' | 'zstd' | 'none';

export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** Gives back the stream's bytes with its first chunk looked at (without losing it). */
async function peekFirst(source: AsyncIterable<Uint8Array>): Promise<{ head: Buffer; rest: AsyncGenerator<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let got = 0;
  while (got < 4) {
    const { value, done } = await it.next();
    if (done) break;
    const buf = Buffer.from(value);
    chunks.push(buf);
    got += buf.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const { value, done } = await it.next();
      if (done) return;
      yield Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
  }
  return { head, rest: rest() };
}

/** A source whose chunks are valid only until it is advanced (see chunk-reader.ts). */
function isTransient(source: AsyncIterable<Uint8Array>): boolean {
  return (source as { transient?: unknown }).transient === true;
}

async function* copies(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of source) yield Buffer.from(chunk);
}

/**
 * The uncompressed bytes of a layer blob, and which compression it had. A
 * transient source (chunks reused once the next is asked for) is fed to
 * gunzip one chunk at a time, the next only once zlib has consumed the last;
 * the other paths keep chunks, so they get copies.
 */
export async function decompress(
  source: AsyncIterable<Uint8Array>,
  layer: string,
): Promise<{ compression: Compression; data: AsyncGenerator<Buffer> }> {
  const { head, rest } = await peekFirst(source);
  const compression = sniffCompression(head);
  const kept = isTransient(source) ? copies(rest) : rest;
  if (compression === 'none') return { compression, data: kept };
  if (compression === 'zstd') return { compression, data: zstd(kept, layer) };
  return { compression, data: gunzip(rest, layer) };
}

async function* gunzip(input: AsyncIterable<Buffer>, layer: string): AsyncGenerator<Buffer> {
  const inflate = createGunzip({ chunkSize: 1 << 17 });
  let inputFailed: { err: unknown } | undefined;
  // A write's callback runs once zlib has consumed its chunk (or failed: its error then comes out below).
  const fed = (async () => {
    const it = input[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await it.next();
      } catch (err) {
        inputFailed = { err };
        inflate.destroy(err as Error);
        return;
      }
      if (next.done) break;
      const chunk = next.value;
      if (!(await new Promise<boolean>((resolve) => inflate.write(chunk, (err) => resolve(!err))))) return;
    }
    inflate.end();
  })();
  try {
    for await (const chunk of inflate) yield chunk as Buffer;
    await fed;
  } catch (err) {
    if (inputFailed) throw inputFailed.err; // reading the blob failed: not the data's fault
    throw new LayerError(`${layer}: gzip data is corrupt: ${(err as Error).message}`, undefined, { cause: err });
  } finally {
    // an early stop leaves the feeder waiting on a write that never completes; the caller destroys the source
    inflate.destroy();
  }
}

async function* zstd(input: AsyncIterable<Buffer>, layer: string): AsyncGenerator<Buffer> {
  const child = spawn('zstd', ['-dcq'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (err) => reject(new LayerError(`${layer}: zstd layers need the zstd program: ${err.message}`, undefined, { cause: err })));
    child.on('close', (code) => resolve(code));
  });
  exited.catch(() => undefined);
  const feeding = pipeline(Readable.from(input), child.stdin).catch(() => undefined);
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    if (code !== 0) throw new LayerError(`${layer}: zstd data is corrupt: ${stderr.trim() || `zstd exited with ${code}`}`);
    await feeding;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
