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

/** The uncompressed bytes of a layer blob, and which compression it had. */
export async function decompress(
  source: AsyncIterable<Uint8Array>,
  layer: string,
): Promise<{ compression: Compression; data: AsyncGenerator<Buffer> }> {
  const { head, rest } = await peekFirst(source);
  const compression = sniffCompression(head);
  if (compression === 'none') return { compression, data: rest };
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 1 << 17 });
    const done = pipeline(Readable.from(rest), gunzip);
    async function* gunzipped(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of gunzip) yield chunk as Buffer;
        await done;
      } catch (err) {
        throw new LayerError(`${layer}: gzip data is corrupt: ${(err as Error).message}`, undefined, { cause: err });
      } finally {
        gunzip.destroy();
        done.catch(() => undefined);
      }
    }
    return { compression, data: gunzipped() };
  }
  return { compression, data: zstd(rest, layer) };
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
