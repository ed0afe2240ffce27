import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DigestMismatchError, digestOf } from '@berth/spec';
import { OciLayout, RegistryClient, pullToLayout, pushFromLayout, type BlobWriter, type CredentialStore } from '../src';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy';
import { makeImage, type FixtureImage } from './helpers/images';
import { startRegistry, type TestRegistry } from './helpers/registry';
import { rmrf, tempDir } from './helpers/tmp';

describe('faults between berth and the registry', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let dir: string;
  let img: FixtureImage;
  let client: RegistryClient;
  const blobPath = (d: string): RegExp => new RegExp(`/blobs/${d.replace(':', ':')}$`);

  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { carol: 'pw-carol' } });
    proxy = await startFaultProxy(registry.host);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });
  beforeEach(async () => {
    dir = await tempDir();
    proxy.rules.length = 0;
    proxy.seen.length = 0;
    const credentials: CredentialStore = { get: async () => ({ username: 'carol', password: 'pw-carol' }) };
    client = new RegistryClient({ credentials, retryDelayMs: 10 });
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    img = await makeImage(src, 'v1', [200000, 1000]);
    await pushFromLayout(client, src.dir, `${proxy.host}/faults/app:v1`);
    proxy.seen.length = 0;
  });
  afterEach(async () => {
    await client.close();
    await rmrf(dir);
  });

  test('a connection dropped mid-blob resumes with Range and completes', async () => {
    const big = img.manifest.layers[0];
    proxy.rules.push({ method: 'GET', path: blobPath(big.digest), fault: { kind: 'drop', after: 50000 } });
    const pulled = await pullToLayout(client, `${proxy.host}/faults/app:v1`, path.join(dir, 'out'));
    expect(pulled.descriptor.digest).toBe(img.descriptor.digest);
    const gets = proxy.seen.filter((r) => r.method === 'GET' && r.url.endsWith(big.digest));
    expect(gets.length).toBe(2);
    expect(gets[0].headers.range).toBeUndefined();
    // Resumed from where the stream broke, not from zero.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(String(gets[1].headers.range))?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(50000);
    const out = await OciLayout.open(path.join(dir, 'out'));
    expect((await out.readBlob(big.digest)).equals(img.layers[0])).toBe(true);
  });

  test('an AbortSignal cancels a hung pull and leaves no temp files', async () => {
    const big = img.manifest.layers[0];
    proxy.rules.push({ method: 'GET', path: blobPath(big.digest), fault: { kind: 'stall', after: 30000 } });
    const controller = new AbortController();
    const cancellable = new RegistryClient({
      credentials: { get: async () => ({ username: 'carol', password: 'pw-carol' }) },
      signal: controller.signal,
    });
    const out = path.join(dir, 'out');
    try {
      const pulling = pullToLayout(cancellable, `${proxy.host}/faults/app:v1`, out, {
        onProgress: (e) => {
          if (e.digest === big.digest && e.state === 'downloading' && e.done >= 30000) controller.abort();
        },
      });
      await expect(pulling).rejects.toMatchObject({ name: 'AbortError' });
      expect((await fs.readdir(path.join(out, 'blobs'))).filter((n) => n.startsWith('.tmp'))).toEqual([]);
      expect(await (await OciLayout.open(out)).has(big.digest)).toBe(false);
    } finally {
      await cancellable.close();
    }
  });

  test('429 with Retry-After is honoured', async () => {
    proxy.rules.push({
      method: 'GET',
      path: /\/manifests\/v1$/,
      fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: '{"errors":[{"code":"TOOMANYREQUESTS"}]}' },
    });
    const started = Date.now();
    await pullToLayout(client, `${proxy.host}/faults/app:v1`, path.join(dir, 'out'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(proxy.seen.filter((r) => r.url.endsWith('/manifests/v1')).map((r) => r.fault ?? 'pass')).toEqual(['status', 'pass']);
  });

  test('500 twice then 200 succeeds; retries exhausted gives the registry error', async () => {
    proxy.rules.push({ method: 'GET', path: blobPath(img.manifest.config.digest), times: 2, fault: { kind: 'status', status: 500 } });
    await pullToLayout(client, `${proxy.host}/faults/app:v1`, path.join(dir, 'out'));
    expect(proxy.seen.filter((r) => r.url.endsWith(img.manifest.config.digest)).length).toBe(3);

    proxy.rules.push({
      method: 'GET',
      path: /\/manifests\/v1$/,
      times: 100,
      fault: { kind: 'status', status: 503, body: '{"errors":[{"code":"UNAVAILABLE","message":"down for maintenance"}]}' },
    });
    const fragile = new RegistryClient({ credentials: { get: async () => ({ username: 'carol', password: 'pw-carol' }) }, retries: 2, retryDelayMs: 1 });
    try {
      await expect(pullToLayout(fragile, `${proxy.host}/faults/app:v1`, path.join(dir, 'x'))).rejects.toMatchObject({
        code: 'ERR_BERTH_REGISTRY_UNAVAILABLE',
        message: expect.stringContaining('down for maintenance'),
      });
    } finally {
      await fragile.close();
    }
  });

  test('a connection reset before the answer is retried', async () => {
    proxy.rules.push({ method: 'GET', path: /\/manifests\/v1$/, times: 2, fault: { kind: 'reset' } });
    const pulled = await pullToLayout(client, `${proxy.host}/faults/app:v1`, path.join(dir, 'out'));
    expect(pulled.descriptor.digest).toBe(img.descriptor.digest);
    expect(proxy.seen.filter((r) => r.url.endsWith('/manifests/v1')).map((r) => r.fault ?? 'pass')).toEqual(['reset', 'reset', 'pass']);
  });

  test('an upload cut off by a reset is sent again', async () => {
    const src = await OciLayout.open(path.join(dir, 'src4'), { create: true });
    const other = await makeImage(src, 'v1', [120000]);
    proxy.rules.push({ method: 'PUT', path: /\/blobs\/uploads\//, fault: { kind: 'reset' } });
    await pushFromLayout(client, src.dir, `${proxy.host}/faults/reset:v1`);
    const puts = proxy.seen.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'));
    expect(puts[0].fault).toBe('reset');
    const pulled = await pullToLayout(client, `${proxy.host}/faults/reset:v1`, path.join(dir, 'out'));
    expect(pulled.descriptor.digest).toBe(other.descriptor.digest);
  });

  test('a Docker-Content-Digest that names other content is refused', async () => {
    const small = img.manifest.layers[1];
    proxy.rules.push({ method: 'GET', path: blobPath(small.digest), fault: { kind: 'headers', headers: { 'docker-content-digest': img.manifest.layers[0].digest } } });
    await expect(pullToLayout(client, `${proxy.host}/faults/app:v1`, path.join(dir, 'out'))).rejects.toMatchObject({
      code: 'ERR_BERTH_DIGEST_MISMATCH',
      message: expect.stringContaining('Docker-Content-Digest'),
    });
  });

  test('OCI-Chunk-Min-Length raises the chunk size', async () => {
    const src = await OciLayout.open(path.join(dir, 'src3'), { create: true });
    await makeImage(src, 'v1', [300000]);
    proxy.rules.push({ method: 'POST', path: /\/blobs\/uploads\/$/, times: 10, fault: { kind: 'headers', headers: { 'oci-chunk-min-length': '100000' } } });
    proxy.rules.push({ method: 'PATCH', path: /\/blobs\/uploads\//, times: 100, fault: { kind: 'headers', headers: { 'oci-chunk-min-length': '100000' } } });
    await pushFromLayout(client, src.dir, `${proxy.host}/faults/minchunk:v1`, { chunkSize: 10000 });
    const ranges = proxy.seen.filter((r) => r.method === 'PATCH').map((r) => String(r.headers['content-range']));
    const sizes = ranges.map((r) => { const [a, b] = r.split('-').map(Number); return b - a + 1; });
    // Every chunk but each blob's last is at least the registry's minimum.
    expect(sizes.filter((n) => n >= 100000).length).toBeGreaterThanOrEqual(2);
    expect(sizes.filter((n) => n === 10000).length).toBe(0);
  });

  test('corrupted bytes are refused and nothing is stored', async () => {
    const small = img.manifest.layers[1];
    proxy.rules.push({ method: 'GET', path: blobPath(small.digest), fault: { kind: 'corrupt' } });
    const out = path.join(dir, 'out');
    await expect(pullToLayout(client, `${proxy.host}/faults/app:v1`, out)).rejects.toMatchObject({
      code: 'ERR_BERTH_DIGEST_MISMATCH',
      message: expect.stringContaining(small.digest),
    });
    const layout = await OciLayout.open(out);
    expect(await layout.has(small.digest)).toBe(false);
    expect(await layout.has(img.descriptor.digest)).toBe(false);
    expect((await layout.index()).manifests).toEqual([]);
    expect((await fs.readdir(path.join(out, 'blobs'))).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });

  test('a sink that verifies on commit gets the bytes unhashed by the client; its mismatch error comes through', async () => {
    const small = img.manifest.layers[1];
    proxy.rules.push({ method: 'GET', path: blobPath(small.digest), fault: { kind: 'corrupt' }, times: 2 });
    const repo = client.repository(proxy.host, 'faults/app');
    const sink = (verify: boolean) => {
      const chunks: Buffer[] = [];
      const calls: string[] = [];
      const writer: BlobWriter = {
        verifies: true,
        write: async (c) => void chunks.push(Buffer.from(c)),
        truncate: async () => void chunks.splice(0),
        commit: async () => {
          calls.push('commit');
          const actual = digestOf(Buffer.concat(chunks));
          if (verify && actual !== small.digest) throw new DigestMismatchError(small.digest, actual, `blob ${small.digest}`);
        },
        abort: async () => void calls.push('abort'),
      };
      return { writer, calls };
    };
    // A sink that says it verifies but does not: the client trusted it (no second hash), so the
    // corrupted bytes went through. This is the contract the store's ingest relies on.
    const trusting = sink(false);
    await repo.fetchBlob(small, trusting.writer);
    expect(trusting.calls).toEqual(['commit']);
    // The store-like sink refuses them at commit: the pull fails and the writer is aborted.
    const checking = sink(true);
    await expect(repo.fetchBlob(small, checking.writer)).rejects.toMatchObject({ code: 'ERR_BERTH_DIGEST_MISMATCH' });
    expect(checking.calls).toEqual(['commit', 'abort']);
  });

  test('a registry that refuses PATCH gets a monolithic upload instead', async () => {
    const src = await OciLayout.open(path.join(dir, 'src2'), { create: true });
    const other = await makeImage(src, 'v1', [100000]);
    proxy.rules.push({ method: 'PATCH', path: /\/blobs\/uploads\//, times: 100, fault: { kind: 'status', status: 405 } });
    await pushFromLayout(client, src.dir, `${proxy.host}/faults/nopatch:v1`, { chunkSize: 32 * 1024 });
    const puts = proxy.seen.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'));
    expect(puts.length).toBe(2);
    const pulled = await pullToLayout(client, `${proxy.host}/faults/nopatch:v1`, path.join(dir, 'out'));
    expect(pulled.manifest.layers[0].digest).toBe(other.manifest.layers[0].digest);
  });

  test('a redirect to another host is followed without the Authorization header', async () => {
    const storage = await startFaultProxy(registry.host, 'localhost');
    try {
      const big = img.manifest.layers[0];
      // Twice: the first GET is the pooled direct one, which leaves a redirect to undici's transport.
      proxy.rules.push({ method: 'GET', path: blobPath(big.digest), times: 2, fault: { kind: 'redirect', to: `http://${storage.host}` } });
      // The storage host is the registry behind another origin; it needs no auth for this test's check.
      await expect(pullToLayout(client, `${proxy.host}/faults/app:v1`, path.join(dir, 'out'))).rejects.toMatchObject({
        code: 'ERR_BERTH_REGISTRY_UNAUTHORIZED',
      });
      expect(proxy.seen.find((r) => r.url.endsWith(big.digest))?.headers.authorization).toMatch(/^Basic /);
      expect(storage.seen.length).toBeGreaterThan(0);
      expect(storage.seen.every((r) => r.headers.authorization === undefined)).toBe(true);
    } finally {
      await storage.stop();
    }
  });
});
