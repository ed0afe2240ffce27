import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { OciLayout, RegistryClient, pullToLayout, pushFromLayout, sha256 } from '../src';
import { directGet, type DirectResponse } from '../src/direct';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy';
import { makeImage } from './helpers/images';
import { startRegistry, type TestRegistry } from './helpers/registry';
import { rmrf, tempDir } from './helpers/tmp';

/** A raw TCP server that answers every connection by calling `answer` with the socket. */
async function rawServer(answer: (socket: net.Socket) => void): Promise<{ url: URL; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => answer(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/v2/x/blobs/sha256:00`),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads a direct body, copying each chunk and releasing it at once. */
async function readAll(res: DirectResponse): Promise<{ bytes: Buffer; buffers: Set<ArrayBufferLike> }> {
  const copies: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  await res.read((chunk, release) => {
    copies.push(Buffer.from(chunk));
    buffers.add(chunk.buffer);
    release();
    return undefined;
  });
  return { bytes: Buffer.concat(copies), buffers };
}

describe('direct blob GET into pooled memory', () => {
  const servers: { close: () => Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  test('a Content-Length body arrives whole, with headers split across packets, and its blocks are reused', async () => {
    const body = randomBytes(3 << 20);
    const srv = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Le');
      setImmediate(() => {
        socket.write(`ngth: ${body.length}\r\nDocker-Content-Digest: sha256:00\r\n\r\n`);
        socket.end(body);
      });
    });
    servers.push(srv);
    const first = await directGet(srv.url, {});
    expect(first.statusCode).toBe(200);
    expect(first.length).toBe(body.length);
    expect(first.headers['docker-content-digest']).toBe('sha256:00');
    const a = await readAll(first);
    expect(a.bytes.equals(body)).toBe(true);
    // 3 MiB through 256 KiB blocks released at once: a handful of blocks, not one per read.
    expect(a.buffers.size).toBeLessThan(6);
    // A second download reads into blocks the first one handed back.
    const b = await readAll(await directGet(srv.url, {}));
    expect(b.bytes.equals(body)).toBe(true);
    expect([...b.buffers].some((buf) => a.buffers.has(buf))).toBe(true);
  });

  test('the socket waits while a chunk handler is busy, and chunks come in order', async () => {
    const body = randomBytes(1 << 20);
    const srv = await rawServer((socket) => socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 206 Partial\r\ncontent-length: ${body.length}\r\n\r\n`), body])));
    servers.push(srv);
    const res = await directGet(srv.url, {});
    expect(res.statusCode).toBe(206);
    const copies: Buffer[] = [];
    let busy = false;
    await res.read((chunk, release) => {
      expect(busy).toBe(false);
      busy = true;
      copies.push(Buffer.from(chunk));
      return new Promise<void>((resolve) =>
        setImmediate(() => {
          busy = false;
          release();
          resolve();
        }),
      );
    });
    expect(Buffer.concat(copies).equals(body)).toBe(true);
  });

  test('answers only undici can handle come back without a length', async () => {
    const chunked = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'));
    const missing = await rawServer((socket) => socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}'));
    const redirect = await rawServer((socket) => socket.end('HTTP/1.1 307 Temporary Redirect\r\nlocation: http://elsewhere/\r\ncontent-length: 0\r\n\r\n'));
    servers.push(chunked, missing, redirect);
    for (const [srv, status] of [[chunked, 200], [missing, 404], [redirect, 307]] as const) {
      const res = await directGet(srv.url, {});
      expect(res.statusCode).toBe(status);
      expect(res.length).toBeUndefined();
      res.close();
    }
  });

  test('a connection cut mid-body fails with a retryable code; a garbled answer with a clear error', async () => {
    const cut = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n');
      socket.end(randomBytes(5000));
    });
    const garbled = await rawServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    servers.push(cut, garbled);
    const res = await directGet(cut.url, {});
    await expect(readAll(res)).rejects.toMatchObject({ code: 'ECONNRESET', message: expect.stringContaining('95000 body bytes to come') });
    await expect(directGet(garbled.url, {})).rejects.toMatchObject({ code: 'ERR_BERTH_BAD_RESPONSE' });
  });

  test('the request carries the caller headers and asks to close the connection', async () => {
    let request = '';
    const server = net.createServer((socket) => {
      socket.once('data', (d) => {
        request = d.toString('latin1');
        socket.end('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nx');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const url = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v2/a/blobs/sha256:11?x=1`);
    const res = await directGet(url, { authorization: 'Bearer t0k', range: 'bytes=5-' });
    expect((await readAll(res)).bytes.toString()).toBe('x');
    expect(request).toMatch(/^GET \/v2\/a\/blobs\/sha256:11\?x=1 HTTP\/1\.1\r\n/);
    expect(request).toContain('\r\nconnection: close\r\n');
    expect(request).toContain('\r\nauthorization: Bearer t0k\r\n');
    expect(request).toContain('\r\nrange: bytes=5-\r\n');
  });
});

describe('pooled pulls and pushes against docker-registry', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let dir: string;

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.host);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await rmrf(dir);
  });

  test('multi-MiB layers push from reused read blocks and pull back through pooled reads byte for byte', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    // Sizes off the 256 KiB block size, so each blob ends in a short tail.
    const img = await makeImage(src, 'v1', [3 << 20, (1 << 20) + 12345, 700]);
    const client = new RegistryClient();
    try {
      await pushFromLayout(client, src.dir, `${proxy.host}/direct/app:v1`);
      proxy.seen.length = 0;
      await pullToLayout(client, `${proxy.host}/direct/app:v1`, path.join(dir, 'out'));
    } finally {
      await client.close();
    }
    const out = await OciLayout.open(path.join(dir, 'out'));
    for (const [i, layer] of img.manifest.layers.entries()) {
      expect((await out.readBlob(layer.digest)).equals(img.layers[i])).toBe(true);
    }
    // Every blob GET went the direct way (undici keeps connections alive).
    const blobGets = proxy.seen.filter((r) => r.method === 'GET' && r.url.includes('/blobs/'));
    expect(blobGets).toHaveLength(4);
    expect(blobGets.every((r) => r.headers.connection === 'close')).toBe(true);
  });

  test('the layout writer is done with each chunk when write() settles, across stages, truncate and abort', async () => {
    const layout = await OciLayout.open(path.join(dir, 'w'), { create: true });
    const data = randomBytes((1 << 20) * 2 + 777);
    const digest = sha256(data);
    const w = await layout.writer({ mediaType: 'application/octet-stream', digest, size: data.length });
    expect(w.releasesChunks).toBe(true);
    const scratch = Buffer.alloc(300 << 10);
    const writeAll = async (): Promise<void> => {
      // Odd sizes, some over a stage (512 KiB); the one scratch buffer is overwritten after each write.
      for (let off = 0, i = 0; off < data.length; i++) {
        const n = Math.min([1, 4096, 300 << 10, 65536][i % 4], data.length - off);
        const chunk = n <= scratch.length ? scratch.subarray(0, n) : Buffer.alloc(n);
        data.copy(chunk, 0, off, off + n);
        await w.write(chunk);
        chunk.fill(0xee);
        off += n;
      }
    };
    await writeAll();
    await w.truncate();
    await writeAll();
    await w.commit();
    expect((await layout.readBlob(digest)).equals(data)).toBe(true);

    const aborted = await layout.writer({ mediaType: 'application/octet-stream', digest: sha256(Buffer.from('x')), size: 1 });
    await aborted.write(randomBytes(600 << 10));
    await aborted.abort();
    expect((await fs.readdir(path.join(dir, 'w', 'blobs'))).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });

  test('blobChunks yields the blob exactly, in reused blocks, from any start', async () => {
    const layout = await OciLayout.open(path.join(dir, 'l'), { create: true });
    for (const size of [0, 1, 256 << 10, (256 << 10) + 1, (1 << 20) + 123]) {
      const data = randomBytes(size);
      const digest = sha256(data);
      await layout.putBlob(data, digest);
      for (const start of [0, Math.floor(size / 3)]) {
        const copies: Buffer[] = [];
        const buffers: ArrayBufferLike[] = [];
        for await (const chunk of layout.blobChunks(digest, start)) {
          copies.push(Buffer.from(chunk));
          buffers.push(chunk.buffer);
        }
        expect(Buffer.concat(copies).equals(data.subarray(start))).toBe(true);
        if (size - start > 3 * (256 << 10)) expect(new Set(buffers).size).toBeLessThan(buffers.length);
      }
    }
    expect((await fs.readdir(path.join(dir, 'l', 'blobs'))).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });
});
