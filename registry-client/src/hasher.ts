import { createHash, type Hash } from 'node:crypto';
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { BerthError } from '@berth/spec';

/**
 * A digest computed while a blob streams in. Big blobs are hashed on a
 * worker thread: SHA-256 of every byte is the largest single cost of a pull
 * on the main thread, and a second thread also gets its own share of a busy
 * CPU. Small blobs (configs, manifests) are hashed in place.
 */
export interface StreamHash {
  /**
   * Takes the bytes (copied or hashed before it returns, unless it returns a
   * promise: then the caller must keep `chunk` unchanged and call nothing
   * else until it resolves).
   */
  update(chunk: Buffer): Promise<void> | undefined;
  /** `algorithm:hex` of everything passed to `update`. */
  digest(): Promise<string>;
  /** Forget the hash (an abandoned or restarted download). Safe after digest. */
  dispose(): void;
}

/** Below this, a worker round trip costs more than hashing here. */
export const WORKER_MIN_BYTES = 4 << 20;
/**
 * Bytes go to the worker in blocks that are transferred there and back and
 * then reused: one copy into memory that is already mapped. (Fresh memory
 * costs a page fault per 4 KiB, which on a VM is dearer than the copy; a
 * SharedArrayBuffer even more so; cloning each chunk costs both.)
 */
const BLOCK_BYTES = 256 << 10;
/** Blocks one blob may have filled or in flight; more makes it wait. */
const BLOCKS_PER_STREAM = 8;
/** Free blocks kept between blobs (enough for four blobs in flight). */
const BLOCK_POOL = 4 * BLOCKS_PER_STREAM;
/** A worker with nothing to hash for this long exits; the next big blob starts another. */
const WORKER_IDLE_MS = 30_000;

export class HashWorkerError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BERTH_HASH_WORKER', message, options);
  }
}

/**
 * `auto` uses the worker only while two cores are free (1-minute load
 * average at most the core count less two): a pull already keeps one core
 * on its main thread and another on the registry or the network stack, and
 * where the worker has to share those, its copies and hand-offs cost more
 * than they save (measured on 2 cores, see docs/performance.md).
 */
export type OffThread = boolean | 'auto';

export function createStreamHash(algorithm: 'sha256' | 'sha512', size: number, offThread: OffThread = 'auto'): StreamHash {
  const worker = size >= WORKER_MIN_BYTES && (offThread === 'auto' ? spareCore() : offThread);
  return worker ? sharedWorker().open(algorithm) : new LocalHash(algorithm);
}

function spareCore(): boolean {
  return os.loadavg()[0] <= os.availableParallelism() - 2;
}

class LocalHash implements StreamHash {
  private readonly hash: Hash;
  constructor(private readonly algorithm: string) {
    this.hash = createHash(algorithm);
  }
  update(chunk: Buffer): undefined {
    this.hash.update(chunk);
  }
  async digest(): Promise<string> {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
  dispose(): void {}
}

// Plain JavaScript run with `eval`, so the worker needs no file next to the
// compiled module (tests run the TypeScript sources). Every block goes back
// to the main thread once hashed, even for a dropped stream.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const streams = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'open') return void streams.set(m.id, createHash(m.algorithm));
  const hash = streams.get(m.id);
  if (m.op === 'update') {
    hash?.update(new Uint8Array(m.buffer, 0, m.length));
    parentPort.postMessage({ id: m.id, buffer: m.buffer }, [m.buffer]);
  } else if (m.op === 'drop') streams.delete(m.id);
  else if (m.op === 'digest') {
    streams.delete(m.id);
    parentPort.postMessage({ id: m.id, hex: hash.digest('hex') });
  }
});
`;

type Reply = { id: number; buffer?: ArrayBuffer; hex?: string };

/**
 * One worker per process, shared by every blob in flight. It holds the
 * process open only while a hash is open (a pull awaiting its digest must not
 * see the process exit under it) and exits when idle.
 */
class HashWorker {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly streams = new Map<number, BlockHash>();
  failure?: Error;
  private idleTimer?: NodeJS.Timeout;
  private readonly pool: ArrayBuffer[] = [];

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (m: Reply) => {
      const stream = this.streams.get(m.id);
      if (stream) stream.reply(m);
      else if (m.buffer) this.recycle(m.buffer);
    });
    this.worker.on('error', (err) => this.fail(new HashWorkerError(`hash worker failed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => this.fail(new HashWorkerError(`hash worker exited (code ${code})`)));
  }

  open(algorithm: string): StreamHash {
    if (this.streams.size === 0) {
      clearTimeout(this.idleTimer);
      this.worker.ref();
    }
    const stream = new BlockHash(this, this.nextId++, algorithm);
    this.streams.set(stream.id, stream);
    this.post({ op: 'open', id: stream.id, algorithm });
    return stream;
  }

  post(message: { op: string; id: number; algorithm?: string; buffer?: ArrayBuffer; length?: number }): void {
    if (!this.failure) this.worker.postMessage(message, message.buffer ? [message.buffer] : []);
  }

  block(): ArrayBuffer {
    return this.pool.pop() ?? new ArrayBuffer(BLOCK_BYTES);
  }

  recycle(buffer: ArrayBuffer): void {
    if (this.pool.length < BLOCK_POOL) this.pool.push(buffer);
  }

  close(stream: BlockHash): void {
    if (!this.streams.delete(stream.id) || this.streams.size > 0) return;
    this.worker.unref();
    this.idleTimer = setTimeout(() => {
      if (this.streams.size > 0) return;
      if (shared === this) shared = undefined;
      this.failure ??= new HashWorkerError('hash worker stopped');
      void this.worker.terminate();
    }, WORKER_IDLE_MS);
    this.idleTimer.unref();
  }

  private fail(err: Error): void {
    if (shared === this) shared = undefined;
    this.failure ??= err;
    for (const s of [...this.streams.values()]) s.fail(this.failure);
  }
}

class BlockHash implements StreamHash {
  /** The block being filled, and how full it is. */
  private current?: Buffer;
  private filled = 0;
  /** Blocks this stream holds: filling, queued at the worker, or free below. */
  private held = 0;
  private readonly free: ArrayBuffer[] = [];
  /** Chunks not yet fully copied, in order (a caller that stops waiting cannot reorder the bytes). */
  private readonly waiting: { chunk: Buffer; offset: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  private result?: { resolve: (digest: string) => void; reject: (err: Error) => void };
  private state: 'open' | 'digesting' | 'closed' = 'open';
  private asked = false;

  constructor(
    private readonly owner: HashWorker,
    readonly id: number,
    private readonly algorithm: string,
  ) {}

  update(chunk: Buffer): Promise<void> | undefined {
    if (this.state !== 'open' || this.owner.failure) return undefined; // digest() reports the failure
    const offset = this.waiting.length ? 0 : this.take(chunk, 0);
    if (offset === chunk.length) return undefined;
    return new Promise((resolve, reject) => void this.waiting.push({ chunk, offset, resolve, reject }));
  }

  digest(): Promise<string> {
    if (this.owner.failure) return Promise.reject(this.owner.failure);
    if (this.state !== 'open') return Promise.reject(new HashWorkerError('digest asked twice or after dispose'));
    this.state = 'digesting';
    return new Promise<string>((resolve, reject) => {
      this.result = { resolve, reject };
      this.requestDigest();
    });
  }

  dispose(): void {
    if (this.state !== 'open') return;
    this.state = 'closed';
    this.owner.post({ op: 'drop', id: this.id });
    for (const w of this.waiting.splice(0)) w.reject(new HashWorkerError('hash disposed'));
    this.release();
  }

  reply(m: Reply): void {
    if (m.buffer) {
      if (this.state === 'closed') this.owner.recycle(m.buffer);
      else this.free.push(m.buffer);
      while (this.waiting.length) {
        const w = this.waiting[0];
        w.offset = this.take(w.chunk, w.offset);
        if (w.offset < w.chunk.length) break;
        this.waiting.shift();
        w.resolve();
      }
      if (this.state === 'digesting' && this.result && !this.asked) this.requestDigest();
    }
    if (m.hex !== undefined) {
      this.state = 'closed';
      this.release();
      this.result?.resolve(`${this.algorithm}:${m.hex}`);
    }
  }

  fail(err: Error): void {
    this.state = 'closed';
    this.release();
    for (const w of this.waiting.splice(0)) w.reject(err);
    this.result?.reject(err);
    this.result = undefined;
  }

  /** Free blocks go back to the pool; blocks still at the worker are recycled when they return. */
  private release(): void {
    for (const b of this.free.splice(0)) this.owner.recycle(b);
    if (this.current) this.owner.recycle(this.current.buffer as ArrayBuffer);
    this.current = undefined;
    this.owner.close(this);
  }

  /** Copies what fits of `chunk` from `offset` into blocks; returns how far it got. */
  private take(chunk: Buffer, offset: number): number {
    while (offset < chunk.length) {
      if (!this.current) {
        const buffer = this.free.pop() ?? (this.held < BLOCKS_PER_STREAM ? (this.held++, this.owner.block()) : undefined);
        if (!buffer) break; // all blocks are at the worker: wait for one to come back
        this.current = Buffer.from(buffer);
        this.filled = 0;
      }
      const n = chunk.copy(this.current, this.filled, offset);
      offset += n;
      this.filled += n;
      if (this.filled === BLOCK_BYTES) this.send();
    }
    return offset;
  }

  /** Asks for the digest once every byte is at the worker (a chunk may still wait for a block). */
  private requestDigest(): void {
    if (this.waiting.length) return; // asked again when the last chunk is copied
    this.send();
    this.asked = true;
    this.owner.post({ op: 'digest', id: this.id });
  }

  /** Hands the block being filled to the worker. */
  private send(): void {
    if (!this.current || this.filled === 0) return;
    this.owner.post({ op: 'update', id: this.id, buffer: this.current.buffer as ArrayBuffer, length: this.filled });
    this.current = undefined;
  }
}

let shared: HashWorker | undefined;

function sharedWorker(): HashWorker {
  if (shared?.failure) shared = undefined;
  shared ??= new HashWorker();
  return shared;
}
