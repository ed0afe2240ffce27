/**
 * `berth pull` unpacks layer n while later layers still download: a proxy
 * in front of the registry holds back the top layer's blob until the base
 * layer's snapshot is complete, which only a pipelined pull reaches.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { OciLayout, RegistryClient } from '@berth/registry-client';
import { parseDockerRef } from '@berth/spec';
import { Store, chainIds, snapshotDirName } from '@berth/store';
import { makeImage, type FixtureImage } from '../../../registry-client/test/helpers/images';
import { startRegistry, type TestRegistry } from '../../../registry-client/test/helpers/registry';
import { pullIntoStore } from '../../src/images/pull';
import { rmrf, tempDir } from '../helpers';

/** Forwards to `target`; `intercept` sees every request first and may answer it itself, or forward it later. */
async function startProxy(
  target: string,
  intercept: (req: http.IncomingMessage, res: http.ServerResponse, forward: () => void) => boolean,
): Promise<{ host: string; stop(): Promise<void> }> {
  const [host, port] = target.split(':');
  const server = http.createServer((req, res) => {
    const forward = (): void => {
      const up = http.request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (!intercept(req, res, forward)) forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let registry: TestRegistry;
let image: FixtureImage;
let bigImage: FixtureImage;

beforeAll(async () => {
  registry = await startRegistry();
  const dir = tempDir('berth-engine-seed-');
  try {
    const layout = await OciLayout.open(dir, { create: true });
    image = await makeImage(layout, 'v1', [200_000, 300_000]);
    // a top layer of several MiB: the unpack's output moves in chunks of up to 1 MiB
    bigImage = await makeImage(layout, 'big', [200_000, 3 << 20]);
    for (const tag of ['v1', 'big']) {
      await new Promise<void>((resolve, reject) => {
        execFile('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${dir}:${tag}`, `docker://${registry.host}/pipeline:${tag}`], (err) =>
          err ? reject(err) : resolve(),
        );
      });
    }
  } finally {
    rmrf(dir);
  }
}, 120_000);

afterAll(async () => {
  await registry?.stop();
});

let root: string;
beforeEach(() => {
  root = tempDir('berth-engine-root-');
});
afterEach(() => rmrf(root));

it('unpacks the base layer before the top layer has downloaded', async () => {
  const [base, top] = image.manifest.layers;
  let baseComplete!: (how: string) => void;
  const released = new Promise<string>((resolve) => {
    baseComplete = resolve;
  });
  // A sequential pull never completes the base first: the timer only turns that hang into a failure.
  const timer = setTimeout(() => baseComplete('timeout'), 20_000);
  const proxy = await startProxy(registry.host, (req, _res, forward) => {
    if (req.method !== 'GET' || !req.url?.endsWith(`/blobs/${top.digest}`)) return false;
    void released.then(forward);
    return true;
  });
  const client = new RegistryClient({});
  const store = new Store({ root });
  const order: string[] = [];
  try {
    await pullIntoStore(store, client, parseDockerRef(`${proxy.host}/pipeline:v1`), {
      listener: {
        layer(digest, status) {
          if (status !== 'complete' && status !== 'downloaded') return;
          order.push(`${digest === base.digest ? 'base' : 'top'} ${status}`);
          if (digest === base.digest && status === 'complete') baseComplete('base');
        },
      },
    });
  } finally {
    clearTimeout(timer);
    await client.close();
    await proxy.stop();
  }
  expect(await released).toBe('base');
  expect(order).toEqual(['base downloaded', 'base complete', 'top downloaded', 'top complete']);
  // Both snapshots are in place and the image is named.
  const config = JSON.parse(image.configBytes.toString('utf8')) as { rootfs: { diff_ids: string[] } };
  const chain = chainIds(config.rootfs.diff_ids);
  expect(existsSync(path.join(root, 'snapshots', snapshotDirName(chain[0]), 'fs/file0'))).toBe(true);
  expect(existsSync(path.join(root, 'snapshots', snapshotDirName(chain[1]), 'fs/file1'))).toBe(true);
  expect(readdirSync(path.join(root, 'snapshots')).filter((n) => n.startsWith('.'))).toEqual([]);
  expect((await store.images.get(`${proxy.host}/pipeline:v1`))?.digest).toBe(image.descriptor.digest);
}, 60_000);

it('fails the pull, leaving no image and no temp snapshot, when a later layer cannot be fetched', async () => {
  const [, top] = image.manifest.layers;
  // The top layer's blob is not there: the registry answers 404 for it.
  const proxy = await startProxy(registry.host, (req, res) => {
    if (!req.url?.endsWith(`/blobs/${top.digest}`)) return false;
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
    return true;
  });
  const host = proxy.host;
  const client = new RegistryClient({ blobResumes: 0 });
  const store = new Store({ root });
  try {
    await expect(pullIntoStore(store, client, parseDockerRef(`${host}/pipeline:v1`))).rejects.toThrow(/blob unknown/);
  } finally {
    await client.close();
    await proxy.stop();
  }
  expect(await store.images.get(`${host}/pipeline:v1`)).toBeUndefined();
  const snaps = existsSync(path.join(root, 'snapshots')) ? readdirSync(path.join(root, 'snapshots')) : [];
  expect(snaps.filter((n) => n.startsWith('.'))).toEqual([]);
  expect(existsSync(path.join(root, 'blobs/sha256', top.digest.slice(7)))).toBe(false);
}, 60_000);

/**
 * Serves the top layer's blob through `edit` and holds its last KiB back
 * until the unpack has created `fs/file1` in a temp snapshot: only an unpack
 * fed by the download itself gets there before the blob is complete.
 */
async function startTailHoldingProxy(
  top: { digest: string },
  edit: (body: Buffer) => Buffer,
): Promise<{ host: string; held: Promise<string>; stop(): Promise<void> }> {
  let heldResolve!: (how: string) => void;
  const held = new Promise<string>((resolve) => {
    heldResolve = resolve;
  });
  const unpackStarted = (): boolean => {
    const dir = path.join(root, 'snapshots');
    return existsSync(dir) && readdirSync(dir).some((n) => n.startsWith('.tmp-') && existsSync(path.join(dir, n, 'fs/file1')));
  };
  const proxy = await startProxy(registry.host, (req, res) => {
    if (req.method !== 'GET' || !req.url?.endsWith(`/blobs/${top.digest}`)) return false;
    const [host, port] = registry.host.split(':');
    http.get({ host, port: Number(port), path: req.url, headers: req.headers }, (up) => {
      const parts: Buffer[] = [];
      up.on('data', (c: Buffer) => parts.push(c));
      up.on('end', () => {
        const body = edit(Buffer.concat(parts));
        res.writeHead(up.statusCode ?? 502, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
        res.write(body.subarray(0, body.length - 1024));
        // A condition, polled: the unpack of what was sent so far shows up as a file in a temp snapshot.
        const poll = setInterval(() => {
          if (!unpackStarted()) return;
          clearInterval(poll);
          clearTimeout(giveUp);
          heldResolve('unpacking');
          res.end(body.subarray(body.length - 1024));
        }, 5);
        // A pull that unpacks only stored blobs never gets there: the timer turns that hang into a failure.
        const giveUp = setTimeout(() => {
          clearInterval(poll);
          heldResolve('timeout');
          res.end(body.subarray(body.length - 1024));
        }, 20_000);
      });
    });
    return true;
  });
  return { ...proxy, held };
}

it('unpacks a layer from its download as the bytes arrive', async () => {
  const [, top] = bigImage.manifest.layers;
  const proxy = await startTailHoldingProxy(top, (b) => b);
  const client = new RegistryClient({});
  const store = new Store({ root });
  try {
    await pullIntoStore(store, client, parseDockerRef(`${proxy.host}/pipeline:big`));
  } finally {
    await client.close();
    await proxy.stop();
  }
  expect(await proxy.held).toBe('unpacking');
  const config = JSON.parse(bigImage.configBytes.toString('utf8')) as { rootfs: { diff_ids: string[] } };
  const chain = chainIds(config.rootfs.diff_ids);
  expect(existsSync(path.join(root, 'snapshots', snapshotDirName(chain[1]), 'fs/file1'))).toBe(true);
  expect(readdirSync(path.join(root, 'snapshots')).filter((n) => n.startsWith('.'))).toEqual([]);
  expect(existsSync(path.join(root, 'blobs/sha256', top.digest.slice(7)))).toBe(true);
}, 60_000);

it('a streamed layer that unpacks cleanly but whose blob does not match its digest leaves no snapshot, no blob, no temp', async () => {
  const [, top] = bigImage.manifest.layers;
  // The gzip header's OS byte: inflate ignores it, so the layer unpacks and its diff ID checks out;
  // only the blob's digest, known once the last byte is in, says the bytes are not the layer's.
  const proxy = await startTailHoldingProxy(top, (b) => {
    const c = Buffer.from(b);
    c[9] ^= 0xff;
    return c;
  });
  const client = new RegistryClient({ blobResumes: 0 });
  const store = new Store({ root });
  try {
    await expect(pullIntoStore(store, client, parseDockerRef(`${proxy.host}/pipeline:big`))).rejects.toThrow(/digest mismatch/);
  } finally {
    await client.close();
    await proxy.stop();
  }
  expect(await proxy.held).toBe('unpacking');
  expect(await store.images.get(`${proxy.host}/pipeline:big`)).toBeUndefined();
  // Not the top layer's snapshot, nor the base's (the batch names none unless all are good), nor any temp dir.
  expect(existsSync(path.join(root, 'snapshots')) ? readdirSync(path.join(root, 'snapshots')) : []).toEqual([]);
  expect(existsSync(path.join(root, 'blobs/sha256', top.digest.slice(7)))).toBe(false);
  expect(readdirSync(path.join(root, 'blobs/sha256')).filter((n) => n.startsWith('.'))).toEqual([]);
}, 60_000);
