import * as net from 'node:net';
import { BerthError } from '@berth/spec';

/**
 * A blob GET over plain HTTP/1.1 that reads the socket into pooled memory.
 *
 * Node gives every socket read a fresh 64 KiB buffer, freed only when V8
 * collects it; on this VM a first touch of a page costs ~25 µs, so a 100 MiB
 * pull spent ~0.3 s of CPU faulting in memory that skopeo reuses. Here the
 * socket reads into blocks that are handed back (`release`) once the bytes
 * are hashed and written, so a pull touches the same few MiB over and over.
 *
 * Only the plain case is served: a 200/206 answer with a Content-Length. The
 * caller sends anything else (401, redirects, errors, chunked bodies) through
 * the undici transport again, which knows auth, redirects and retries.
 */

/** A pooled read block; reads land in its free tail, it is reused once every chunk cut from it is released. */
const BLOCK_BYTES = 256 << 10;
/** A tail shorter than this is not worth a read: the next read takes a new block. */
const MIN_READ = 64 << 10;
/** Free blocks kept for the next download (four in flight, a few blocks each). */
const POOL_BLOCKS = 16;
/** No byte for this long ends the download (undici's default body timeout). */
const IDLE_MS = 300_000;
const MAX_HEAD = 64 << 10;

const pool: Buffer[] = [];

class Block {
  readonly buf: Buffer = pool.pop() ?? Buffer.allocUnsafeSlow(BLOCK_BYTES);
  used = 0;
  /** Chunks cut from it and not yet released, plus one while reads may still land in it. */
  refs = 1;
  unref(): void {
    if (--this.refs === 0 && pool.length < POOL_BLOCKS) pool.push(this.buf);
  }
}

export class DirectError extends BerthError {
  constructor(code: 'ECONNRESET' | 'ETIMEDOUT' | 'ERR_BERTH_BAD_RESPONSE', message: string) {
    // Connection-level codes, so the caller's resume logic treats them as it does undici's.
    super(code, message);
  }
}

/** Called with each body chunk; `release` hands its memory back (call it once, when done with the bytes). */
export type ChunkHandler = (chunk: Buffer, release: () => void) => Promise<void> | undefined;

export interface DirectResponse {
  statusCode: number;
  /** Lower-case names; a repeated header keeps its first value. */
  headers: Record<string, string>;
  /** The body's length (Content-Length); undefined means the caller should not read it here. */
  length?: number;
  /** Streams the body to `onChunk`, pausing the socket while its promise is pending. */
  read(onChunk: ChunkHandler): Promise<void>;
  /** Drops the connection (an unread or abandoned body). */
  close(): void;
}

/** Sends `GET url` (http: only) and resolves once the status line and headers are in. */
export function directGet(url: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<DirectResponse> {
  return new Promise<DirectResponse>((resolveHead, rejectHead) => {
    let block = new Block();
    let head: Buffer | undefined = Buffer.alloc(0);
    let response: DirectResponse | undefined;
    let remaining = 0;
    let onChunk: ChunkHandler | undefined;
    /** Body bytes that arrived before `read` was called. */
    const early: { chunk: Buffer; release: () => void }[] = [];
    let bodyDone: { resolve: () => void; reject: (err: unknown) => void } | undefined;
    let finished = false;
    let failure: unknown;

    // Once every body byte is in, the server closing or resetting the connection is no failure.
    const bodyIn = (): boolean => response?.length !== undefined && remaining === 0;
    // The reading hold on the current block ends once the socket is destroyed (no read lands after that).
    let holding = true;
    const letGo = (): void => {
      if (!holding) return;
      holding = false;
      block.unref();
    };
    const fail = (err: unknown): void => {
      if (finished) return;
      finished = true;
      failure = err;
      socket.destroy();
      letGo();
      for (const e of early.splice(0)) e.release();
      if (!response) rejectHead(err);
      else bodyDone?.reject(err);
    };
    const complete = (): void => {
      finished = true;
      socket.destroy();
      letGo();
      bodyDone?.resolve();
    };
    const onAbort = (): void => fail(signal?.reason ?? new DirectError('ECONNRESET', 'aborted'));

    /** Hands one body chunk on; false pauses the socket until the handler's promise settles. */
    const deliver = (chunk: Buffer, release: () => void): boolean => {
      remaining -= chunk.length;
      if (!onChunk) {
        // Held, with the socket paused, until the caller asks for the body.
        early.push({ chunk, release });
        return false;
      }
      let wait: Promise<void> | undefined;
      try {
        wait = onChunk(chunk, release);
      } catch (err) {
        fail(err);
        return false;
      }
      if (remaining === 0) {
        if (wait) wait.then(complete, fail);
        else complete();
        return false;
      }
      if (!wait) return true;
      wait.then(() => {
        if (!finished) socket.resume();
      }, fail);
      return false;
    };

    const cut = (offset: number, n: number): { chunk: Buffer; release: () => void } => {
      const b = block;
      b.refs++;
      let released = false;
      return {
        chunk: b.buf.subarray(offset, offset + n),
        release: () => {
          if (released) return;
          released = true;
          b.unref();
        },
      };
    };

    const onRead = (nread: number): boolean => {
      if (finished) return false;
      const start = block.used;
      block.used += nread;
      let offset = start;
      let n = nread;
      if (head) {
        head = Buffer.concat([head, block.buf.subarray(start, start + nread)]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > MAX_HEAD) fail(new DirectError('ERR_BERTH_BAD_RESPONSE', `${url.host}: response headers over ${MAX_HEAD} bytes`));
          return !finished;
        }
        let parsed: DirectResponse;
        try {
          parsed = { ...parseHead(head.subarray(0, end).toString('latin1'), url), read, close };
        } catch (err) {
          fail(err);
          return false;
        }
        const bodyBytes = head.length - end - 4;
        head = undefined;
        response = parsed;
        remaining = parsed.length ?? 0;
        offset = start + nread - bodyBytes;
        n = bodyBytes;
        resolveHead(parsed);
        if (parsed.length === undefined) return false; // the caller falls back and closes
        if (remaining === 0) {
          complete();
          return false;
        }
      }
      if (n === 0) return true;
      if (n > remaining) {
        fail(new DirectError('ERR_BERTH_BAD_RESPONSE', `${url.host}: more body bytes than Content-Length`));
        return false;
      }
      const { chunk, release } = cut(offset, n);
      return deliver(chunk, release);
    };

    /** The buffer for the next read: the current block's tail, or a fresh block. */
    const nextBuffer = (): Buffer => {
      // Node asks even after the last read; a block let go must not be released twice.
      if (holding && BLOCK_BYTES - block.used < MIN_READ) {
        block.unref();
        block = new Block();
      }
      return block.buf.subarray(block.used);
    };

    const socket = net.connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 80),
      onread: { buffer: nextBuffer, callback: onRead },
    });
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_MS, () => {
      if (!bodyIn()) fail(new DirectError('ETIMEDOUT', `${url.host}: no data for ${IDLE_MS / 1000} s`));
    });
    socket.on('error', (err) => {
      if (!bodyIn()) fail(err);
    });
    socket.on('close', () => {
      signal?.removeEventListener('abort', onAbort);
      letGo();
      if (!finished && !bodyIn()) fail(new DirectError('ECONNRESET', `${url.host}: connection closed ${response ? `with ${remaining} body bytes to come` : 'before the response'}`));
    });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });

    const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, 'connection: close'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);

    // The response's methods (used from onRead, which runs only after this executor).
    const read = (handler: ChunkHandler): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        if (failure !== undefined) return reject(failure);
        bodyDone = { resolve, reject };
        onChunk = handler;
        const pending = early.splice(0);
        if (pending.length === 0 && finished) return resolve();
        // Replay what came with the headers, in order, waiting as the handler asks.
        void (async () => {
          for (const e of pending) {
            const wait = handler(e.chunk, e.release);
            if (wait) await wait;
          }
          if (remaining === 0) complete();
          else if (!finished) socket.resume();
        })().catch(fail);
      });
    const close = (): void => {
      if (!finished) {
        finished = true;
        socket.destroy();
        letGo();
        for (const e of early.splice(0)) e.release();
      }
    };
  });
}

function parseHead(text: string, url: URL): Omit<DirectResponse, 'read' | 'close'> {
  const [status, ...rest] = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(status);
  if (!m) throw new DirectError('ERR_BERTH_BAD_RESPONSE', `${url.host}: not an HTTP/1.1 response: ${JSON.stringify(status.slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of rest) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    headers[name] ??= line.slice(i + 1).trim();
  }
  const statusCode = Number(m[1]);
  const cl = headers['content-length'];
  const plain = (statusCode === 200 || statusCode === 206) && !headers['transfer-encoding'] && cl !== undefined && /^\d+$/.test(cl);
  return { statusCode, headers, length: plain ? Number(cl) : undefined };
}
