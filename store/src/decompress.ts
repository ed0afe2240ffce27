/**
 * Layer decompression chosen by magic bytes (media types lie often enough):
 * gzip through zlib, zstd through Debian's `zstd` program (Node 20's zlib has
 * no zstd), anything else passed through as a plain tar.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { types } from 'node:util';
import { constants, createGunzip } from 'node:zlib';
import { LayerError } from './errors';
import { inflated } from './reusable-buffers';

export type Compression = 'gzip' | 'zstd' | 'none';

export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/**
 * Gives back the stream's bytes with its first four looked at (without
 * losing them). A chunk may be valid only until the next is read (a
 * transient source), so the chunks before the one that completes the head
 * are copied: a few bytes, and only when a source starts with tiny chunks.
 * The rest is handed on as it comes, uncopied (a copy of 1 MiB is 256 page
 * faults of fresh memory here).
 */
async function peekFirst(source: AsyncIterable<Uint8Array>): Promise<{ head: Buffer; rest: AsyncGenerator<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const start: Buffer[] = [];
  let got = 0;
  while (got < 4) {
    // the chunk in hand is too short: keep a copy before the source may reuse its memory
    if (start.length > 0) start[start.length - 1] = Buffer.from(start[start.length - 1]);
    const { value, done } = await it.next();
    if (done) break;
    const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    start.push(view);
    got += view.length;
  }
  const last = start.length > 0 ? start[start.length - 1] : undefined;
  const head = Buffer.concat([...start.slice(0, -1), ...(last ? [last.subarray(0, 4)] : [])]).subarray(0, 4);
  async function* rest(): AsyncGenerator<Buffer> {
    for (const chunk of start) if (chunk.length > 0) yield chunk;
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

/** Copies for the zstd child, whose pipe keeps chunks while they are written. */
async function* copies(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of source) yield Buffer.from(chunk);
}

/**
 * Hands out chunks from `inflated`'s buffers, each reused once the caller
 * has asked for the chunk after it and no write holds it (see gunzipInPlace).
 */
class Handout {
  private readonly handed: Buffer[] = [];

  *hand(chunks: Buffer[]): Generator<Buffer> {
    for (const chunk of chunks) {
      this.handed.push(chunk);
      yield chunk;
      // the caller asked for the next one: the chunk before this one is no longer read from
      if (this.handed.length > 1) inflated.release(this.handed.shift()!);
    }
  }

  releaseAll(): void {
    for (const chunk of this.handed.splice(0)) inflated.release(chunk);
  }
}

/** A plain tar from a transient source, copied into reused memory rather than fresh (256 page faults per MiB). */
async function* plainCopies(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const handout = new Handout();
  try {
    for await (const chunk of source) {
      for (let off = 0; off < chunk.length; ) {
        const buffer = inflated.take();
        const n = chunk.copy(buffer, 0, off);
        off += n;
        yield* handout.hand([buffer.subarray(0, n)]);
      }
    }
  } finally {
    handout.releaseAll();
  }
}

/**
 * The uncompressed bytes of a layer blob, and which compression it had. A
 * transient source (chunks reused once the next is asked for) is fed to
 * gunzip one chunk at a time, the next only once zlib has consumed the last;
 * the other paths keep chunks, so they get copies. Gunzip's chunks are
 * themselves reused: each is valid until the chunk after it has been asked
 * for, unless the caller holds it (`inflated.hold`, see reusable-buffers.ts).
 */
export async function decompress(
  source: AsyncIterable<Uint8Array>,
  layer: string,
): Promise<{ compression: Compression; data: AsyncGenerator<Buffer> }> {
  const { head, rest } = await peekFirst(source);
  const compression = sniffCompression(head);
  const transient = isTransient(source);
  if (compression === 'none') return { compression, data: transient ? plainCopies(rest) : rest };
  if (compression === 'zstd') return { compression, data: zstd(transient ? copies(rest) : rest, layer) };
  return { compression, data: gunzip(rest, layer) };
}

/**
 * The gunzip for this Node: zlib's own handle driven synchronously into
 * reused buffers when it has the internals this needs (Node 20 does), the
 * stream otherwise.
 */
function gunzip(input: AsyncIterable<Buffer>, layer: string): AsyncGenerator<Buffer> {
  const engine = openInflater();
  return engine ? gunzipInPlace(engine, input, layer) : gunzipStream(input, layer);
}

/** What `zlib.gunzipSync` does inside: the handle's synchronous write, with the output memory ours. */
export interface Engine {
  /** Inflates from input[inOff, inOff + inLen) into out[outOff, end); returns [output bytes left free, input bytes left]. */
  write(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number): readonly [number, number];
  /** The error zlib reported (corrupt data), once it has. */
  failure(): Error | null;
  close(): void;
}

interface ZlibInternals {
  _handle?: { writeSync?: unknown };
  _writeState?: unknown;
}

/** The handle of a fresh Gunzip, if this Node's zlib has the internals used here. */
export function openInflater(): Engine | undefined {
  const stream = createGunzip();
  const internals = stream as unknown as ZlibInternals;
  const handle = internals._handle;
  const state = internals._writeState;
  // isUint32Array, not instanceof: zlib's array comes from Node's own realm (not jest's, say)
  if (typeof handle?.writeSync !== 'function' || !types.isUint32Array(state) || state.length < 2) {
    stream.destroy();
    return undefined;
  }
  const writeSync = handle.writeSync as (flush: number, ...args: [Buffer, number, number, Buffer, number, number]) => void;
  // zlib reports corrupt data by destroying the stream (its 'error' event comes later, and is expected)
  stream.on('error', () => undefined);
  return {
    write(flush, input, inOff, inLen, out, outOff) {
      writeSync.call(handle, flush, input, inOff, inLen, out, outOff, out.length - outOff);
      return [state[0], state[1]];
    },
    failure: () => (stream.destroyed ? (stream.errored ?? new Error('zlib stopped')) : null),
    close: () => stream.destroy(),
  };
}

const EMPTY = Buffer.alloc(0);

/**
 * Gunzip without fresh memory: output goes into buffers from `inflated`,
 * handed out whole (1 MiB, so tar headers never straddle two chunks) except
 * the last. A chunk's buffer is reused once the caller has asked for the
 * chunk after next (the tar reader keeps at most the latest chunk's tail
 * across a read) and no file write holds it (FileWrites takes a hold); an
 * input chunk is consumed completely before the next is asked for, so the
 * input may be transient. Like the stream, output stops where zlib stops
 * taking input (the end of the last gzip member, then zeros or garbage).
 */
export async function* gunzipInPlace(engine: Engine, input: AsyncIterable<Buffer>, layer: string): AsyncGenerator<Buffer> {
  let out: Buffer | undefined = inflated.take();
  let outOff = 0;
  /** Handed to the caller and not yet free for reuse: the last two chunks' buffers. */
  const handout = new Handout();
  let ended = false;
  const corrupt = (err: Error): LayerError => new LayerError(`${layer}: gzip data is corrupt: ${err.message}`, undefined, { cause: err });

  /** Inflates one input chunk (or the finish); returns the full buffers, for the caller to yield. */
  function run(flush: number, chunk: Buffer): Buffer[] {
    const full: Buffer[] = [];
    let inOff = 0;
    let inLen = chunk.length;
    for (;;) {
      out ??= inflated.take();
      const [outLeft, inLeft] = engine.write(flush, chunk, inOff, inLen, out, outOff);
      const failed = engine.failure();
      if (failed) throw corrupt(failed);
      inOff += inLen - inLeft;
      inLen = inLeft;
      outOff = out.length - outLeft;
      if (outLeft === 0) {
        full.push(out);
        out = undefined;
        outOff = 0;
        continue;
      }
      if (inLeft > 0) ended = true; // the last member is done and what follows is not another
      return full;
    }
  }

  try {
    for await (const chunk of input) {
      yield* handout.hand(run(constants.Z_NO_FLUSH, chunk));
      if (ended) break;
    }
    if (!ended) yield* handout.hand(run(constants.Z_FINISH, EMPTY));
    if (outOff > 0 && out) {
      const last = out;
      out = undefined;
      yield* handout.hand([last.subarray(0, outOff)]);
    }
  } finally {
    engine.close();
    if (out) inflated.release(out);
    handout.releaseAll();
  }
}

export async function* gunzipStream(input: AsyncIterable<Buffer>, layer: string): AsyncGenerator<Buffer> {
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
  // loaded here: gzip and plain layers (and berth run, which imports this module) never need it
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
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
