import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { RegistryClient } from '../src';
import { tlsTrust } from '../src/transport';
import { makeCerts, type TestCerts } from './helpers/certs';
import { startRegistry, type TestRegistry } from './helpers/registry';
import { rmrf, tempDir } from './helpers/tmp';

// `berth` hands NODE_EXTRA_CA_CERTS to the client as `caFiles` (Node itself then skips it).
let root: string;
let certs: TestCerts;
let registry: TestRegistry;
beforeAll(async () => {
  root = await tempDir('berth-ca-files-');
  certs = await makeCerts(path.join(root, 'certs'));
  registry = await startRegistry({ tls: certs });
});
afterAll(async () => {
  await registry?.stop();
  await rmrf(root);
});

test('a registry whose CA is only in caFiles is verified and reached over TLS; without it, refused', async () => {
  const strict = new RegistryClient({ insecureLoopback: false, certsDirs: [], retries: 0 });
  const trusted = new RegistryClient({ insecureLoopback: false, certsDirs: [], caFiles: [certs.caCertFile] });
  try {
    await expect(strict.repository(registry.host, 'ca/none').headManifest('v1')).rejects.toMatchObject({
      code: 'ERR_BERTH_REGISTRY_UNREACHABLE',
      message: expect.stringMatching(/certificate/),
    });
    expect(await trusted.repository(registry.host, 'ca/none').headManifest('v1')).toBeUndefined();
    expect((await trusted.transport(registry.host).baseUrl()).startsWith('https://')).toBe(true);
  } finally {
    await Promise.all([strict.close(), trusted.close()]);
  }
});

test('an unreadable caFiles entry fails the request with an error naming the file', async () => {
  const missing = path.join(root, 'no-such-ca.crt');
  const client = new RegistryClient({ insecureLoopback: false, certsDirs: [], caFiles: [missing], retries: 0 });
  try {
    await expect(client.repository(registry.host, 'ca/none').headManifest('v1')).rejects.toMatchObject({
      message: expect.stringContaining(`${missing}: cannot read extra CA certificates: ENOENT`),
    });
  } finally {
    await client.close();
  }
});

// An insecure registry (loopback) is tried over HTTPS first, as dockerd does; that attempt is
// not verified, so it loads no CAs at all (tlsTrust): not Node's roots, not caFiles' bundle.
test('tlsTrust: an insecure registry trusts no CAs (none parsed), unless a client certificate may need them', () => {
  expect(tlsTrust(true, ['EXTRA'], false)).toEqual({ ca: [], rejectUnauthorized: false });
  expect(tlsTrust(true, [], false)).toEqual({ ca: [], rejectUnauthorized: false });
  expect(tlsTrust(true, ['EXTRA'], true)).toEqual({ ca: [...tls.rootCertificates, 'EXTRA'], rejectUnauthorized: false });
  expect(tlsTrust(false, ['EXTRA'], false)).toEqual({ ca: [...tls.rootCertificates, 'EXTRA'], rejectUnauthorized: true });
  expect(tlsTrust(false, [], false)).toEqual({ ca: undefined, rejectUnauthorized: true });
});

test('with caFiles, a loopback registry is still reached over HTTPS with an untrusted certificate, and over HTTP when plain', async () => {
  const plain = await startRegistry();
  const client = new RegistryClient({ certsDirs: [], caFiles: ['/etc/ssl/certs/ca-certificates.crt', certs.caCertFile].filter((f) => existsSync(f)) });
  try {
    expect(await client.repository(registry.host, 'ca/none').headManifest('v1')).toBeUndefined();
    expect((await client.transport(registry.host).baseUrl()).startsWith('https://')).toBe(true);
    expect(await client.repository(plain.host, 'ca/none').headManifest('v1')).toBeUndefined();
    expect((await client.transport(plain.host).baseUrl()).startsWith('http://')).toBe(true);
  } finally {
    await client.close();
    await plain.stop();
  }
});
