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

beforeAll(async () => {
  registry = await startRegistry();
  const dir = tempDir('berth-engine-seed-');
  try {
    image = await makeImage(await OciLayout.open(dir, { create: true }), 'v1', [200_000, 300_000]);
    await new Promise<void>((resolve, reject) => {
      execFile('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${dir}:v1`, `docker://${registry.host}/pipeline:v1`], (err) =>
        err ? reject(err) : resolve(),
      );
    });
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
