/**
 * Hashing big blobs on a worker thread: the digest is the one node:crypto
 * computes in place, whatever the chunking; a pull of a blob big enough to
 * use the worker still resumes, and still refuses corrupted bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { OciLayout, RegistryClient, pullToLayout, pushFromLayout } from '../src';
import { HashWorkerError, WORKER_MIN_BYTES, createStreamHash, type StreamHash } from '../src/hasher';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy';
import { makeImage, type FixtureImage } from './helpers/images';
import { startRegistry, type TestRegistry } from './helpers/registry';
import { rmrf, tempDir } from './helpers/tmp';

/** Feeds `data` in the given chunk sizes (cycled), honouring the backpressure promise. */
async function feed(hash: StreamHash, data: Buffer, sizes: number[]): Promise<void> {
  let i = 0;
  for (let at = 0; at < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length], data.length - at);
    const wait = hash.update(data.subarray(at, at + n));
    if (wait) await wait;
    at += n;
  }
}

const expected = (alg: 'sha256' | 'sha512', data: Buffer): string => `${alg}:${createHash(alg).update(data).digest('hex')}`;

describe('stream hash', () => {
  const data = randomBytes(WORKER_MIN_BYTES + 3 * 1024 * 1024 + 12345);

  test.each([
    ['socket-sized chunks', [65536]],
    ['odd sizes across block boundaries', [1, 65543, 300001, 7]],
    ['one chunk bigger than every block together', [data.length]],
  ])('the worker digest equals node:crypto with %s', async (_name, sizes) => {
    const hash = createStreamHash('sha256', data.length, true);
    await feed(hash, data, sizes);
    expect(await hash.digest()).toBe(expected('sha256', data));
  });

  test('sha512, several streams at once, and small blobs hashed in place', async () => {
    const other = randomBytes(WORKER_MIN_BYTES + 1);
    const a = createStreamHash('sha512', data.length, true);
    const b = createStreamHash('sha256', other.length, true);
    await Promise.all([feed(a, data, [65536]), feed(b, other, [100000])]);
    const small = createStreamHash('sha256', 10, true);
    expect(small.update(Buffer.from('0123456789'))).toBeUndefined();
    expect(await Promise.all([a.digest(), b.digest(), small.digest()])).toEqual([
      expected('sha512', data),
      expected('sha256', other),
      expected('sha256', Buffer.from('0123456789')),
    ]);
  });

  test('a disposed hash cannot be asked for a digest; the next one is unaffected', async () => {
    const dropped = createStreamHash('sha256', data.length, true);
    await feed(dropped, data.subarray(0, 2_000_000), [65536]);
    dropped.dispose();
    dropped.dispose();
    await expect(dropped.digest()).rejects.toBeInstanceOf(HashWorkerError);
    const next = createStreamHash('sha256', data.length, true);
    await feed(next, data, [65536]);
    expect(await next.digest()).toBe(expected('sha256', data));
  });

  test('chunks passed without waiting (a resumed download after an error) keep their order', async () => {
    const hash = createStreamHash('sha256', data.length, true);
    const pending: Promise<void>[] = [];
    for (let at = 0; at < data.length; at += 65536) {
      const wait = hash.update(data.subarray(at, at + 65536));
      if (wait) pending.push(wait);
    }
    expect(pending.length).toBeGreaterThan(0); // more than the blocks hold: some had to queue
    expect(await hash.digest()).toBe(expected('sha256', data));
    await Promise.all(pending);
  });

  test('off-thread hashing can be turned off', async () => {
    const hash = createStreamHash('sha256', data.length, false);
    expect(hash.update(data)).toBeUndefined();
    expect(await hash.digest()).toBe(expected('sha256', data));
  });
});

describe('pulling blobs hashed on the worker', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let dir: string;
  let img: FixtureImage;
  let client: RegistryClient;
  const blobPath = (d: string): RegExp => new RegExp(`/blobs/${d}$`);

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.host);
    dir = await tempDir();
    // Forced on: `auto` would hash in place on a busy CI machine.
    client = new RegistryClient({ retryDelayMs: 10, hashOffThread: true });
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    // Random bytes do not compress: the layer stays above the worker threshold.
    img = await makeImage(src, 'v1', [WORKER_MIN_BYTES + 2 * 1024 * 1024, 1000]);
    expect(img.manifest.layers[0].size).toBeGreaterThan(WORKER_MIN_BYTES);
    await pushFromLayout(client, src.dir, `${proxy.host}/hash/app:v1`);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await proxy?.stop();
    await registry?.stop();
    await rmrf(dir);
  });
  beforeEach(() => {
    proxy.rules.length = 0;
    proxy.seen.length = 0;
  });

  test('a connection dropped mid-blob resumes with Range and the bytes verify', async () => {
    const big = img.manifest.layers[0];
    proxy.rules.push({ method: 'GET', path: blobPath(big.digest), fault: { kind: 'drop', after: 3_000_000 } });
    const out = path.join(dir, 'resumed');
    const pulled = await pullToLayout(client, `${proxy.host}/hash/app:v1`, out);
    expect(pulled.descriptor.digest).toBe(img.descriptor.digest);
    const gets = proxy.seen.filter((r) => r.method === 'GET' && r.url.endsWith(big.digest));
    expect(gets.map((g) => g.headers.range)).toEqual([undefined, expect.stringMatching(/^bytes=[1-9]\d*-$/)]);
    expect((await (await OciLayout.open(out)).readBlob(big.digest)).equals(img.layers[0])).toBe(true);
  }, 30_000);

  test('a flipped byte in a big blob is refused and nothing is stored', async () => {
    const big = img.manifest.layers[0];
    proxy.rules.push({ method: 'GET', path: blobPath(big.digest), fault: { kind: 'corrupt' } });
    const out = path.join(dir, 'corrupt');
    await expect(pullToLayout(client, `${proxy.host}/hash/app:v1`, out)).rejects.toMatchObject({
      code: 'ERR_BERTH_DIGEST_MISMATCH',
      message: expect.stringContaining(big.digest),
    });
    const layout = await OciLayout.open(out);
    expect(await layout.has(big.digest)).toBe(false);
    expect((await layout.index()).manifests).toEqual([]);
    expect((await fs.readdir(path.join(out, 'blobs'))).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  }, 30_000);
});
