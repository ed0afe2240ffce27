import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Agent } from 'undici';
import {
  DockerConfig,
  OciLayout,
  RegistryClient,
  pullToLayout,
  pushFromLayout,
  login,
  passwordGrant,
  TokenCache,
  type CredentialStore,
  type Credentials,
} from '../src';
import { makeCerts, type TestCerts } from './helpers/certs';
import { makeImage } from './helpers/images';
import { startRegistry, type TestRegistry } from './helpers/registry';
import { startTokenServer, type TokenServer } from './helpers/token-server';
import { rmrf, tempDir } from './helpers/tmp';

const creds = (map: Record<string, Credentials>): CredentialStore => ({ get: async (r) => map[r] });

let root: string;
let certs: TestCerts;
beforeAll(async () => {
  root = await tempDir('berth-auth-');
  certs = await makeCerts(path.join(root, 'certs'));
});
afterAll(() => rmrf(root));

describe('htpasswd Basic auth', () => {
  let registry: TestRegistry;
  let dir: string;
  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { alice: 'wonder land' } });
  });
  afterAll(() => registry?.stop());
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(() => rmrf(dir));

  test('credentials from config.json push and pull; none or wrong ones are refused without echoing secrets', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const img = await makeImage(src, 'v1', [100]);
    await fs.mkdir(path.join(dir, 'cfg'));
    await fs.writeFile(
      path.join(dir, 'cfg', 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from('alice:wonder land').toString('base64') } } }),
    );
    const good = new RegistryClient({ credentials: new DockerConfig({ env: { DOCKER_CONFIG: path.join(dir, 'cfg') } }) });
    const anon = new RegistryClient();
    const wrong = new RegistryClient({ credentials: creds({ [registry.host]: { username: 'alice', password: 'guess-me' } }) });
    try {
      expect(await pushFromLayout(good, src.dir, `${registry.host}/private/app:v1`)).toBe(img.descriptor.digest);
      const pulled = await pullToLayout(good, `${registry.host}/private/app:v1`, path.join(dir, 'out'));
      expect(pulled.descriptor.digest).toBe(img.descriptor.digest);

      await expect(pullToLayout(anon, `${registry.host}/private/app:v1`, path.join(dir, 'x'))).rejects.toMatchObject({
        code: 'ERR_BERTH_AUTH',
        message: expect.stringContaining('berth login'),
      });
      const err = await pullToLayout(wrong, `${registry.host}/private/app:v1`, path.join(dir, 'y')).catch((e: Error) => e);
      expect(err).toMatchObject({ code: 'ERR_BERTH_REGISTRY_UNAUTHORIZED' });
      expect(String((err as Error).message)).not.toContain('guess-me');
      expect(String((err as Error).message)).toContain('pull access denied for');
    } finally {
      await Promise.all([good.close(), anon.close(), wrong.close()]);
    }
  });
});

describe('checkLogin (berth login)', () => {
  test('accepts good credentials and refuses bad ones, for Basic and token registries', async () => {
    const tokens = await startTokenServer({ certs, service: 'svc', issuer: 'iss', users: { dan: 'right' } });
    const basic = await startRegistry({ htpasswd: { dan: 'right' } });
    const bearer = await startRegistry({ token: { realm: tokens.realm, service: 'svc', issuer: 'iss', certs } });
    const client = new RegistryClient();
    try {
      for (const host of [basic.host, bearer.host]) {
        await expect(client.checkLogin(host, { username: 'dan', password: 'right' })).resolves.toBeUndefined();
        const err = await client.checkLogin(host, { username: 'dan', password: 'wrong' }).catch((e: Error) => e);
        expect((err as { code?: string }).code).toMatch(/^ERR_BERTH_(AUTH|REGISTRY_UNAUTHORIZED)$/);
        expect((err as Error).message).not.toContain('wrong');
      }
    } finally {
      await client.close();
      await Promise.all([basic.stop(), bearer.stop()]);
      await tokens.stop();
    }
  });
});

describe('token auth (Bearer, RS256 JWT)', () => {
  let tokens: TokenServer;
  let registry: TestRegistry;
  let dir: string;
  const refreshTokens: Record<string, string> = { 'refresh-bob': 'bob' };
  beforeAll(async () => {
    tokens = await startTokenServer({
      certs,
      service: 'berth-test',
      issuer: 'berth-test-issuer',
      users: { bob: 'builder' },
      refreshTokens,
    });
    registry = await startRegistry({ token: { realm: tokens.realm, service: 'berth-test', issuer: 'berth-test-issuer', certs } });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });
  beforeEach(async () => {
    dir = await tempDir();
    tokens.requests.length = 0;
  });
  afterEach(() => rmrf(dir));

  test('Basic on the realm gets a pull,push token; anonymous pulls; anonymous push is denied', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const img = await makeImage(src, 'v1', [200, 300]);
    const bob = new RegistryClient({ credentials: creds({ [registry.host]: { username: 'bob', password: 'builder' } }) });
    const anon = new RegistryClient();
    try {
      await pushFromLayout(bob, src.dir, `${registry.host}/bob/app:v1`);
      expect(tokens.requests).toContainEqual(expect.objectContaining({ method: 'GET', user: 'bob', scopes: ['repository:bob/app:pull,push'] }));
      const pushTokenRequests = tokens.requests.length;
      // Several blobs and a manifest, yet one token: the cache honours expires_in.
      expect(pushTokenRequests).toBe(1);

      const pulled = await pullToLayout(anon, `${registry.host}/bob/app:v1`, path.join(dir, 'out'));
      expect(pulled.descriptor.digest).toBe(img.descriptor.digest);
      expect(tokens.requests.slice(pushTokenRequests)).toEqual([
        expect.objectContaining({ user: '', scopes: ['repository:bob/app:pull'] }),
      ]);

      await expect(pushFromLayout(anon, src.dir, `${registry.host}/bob/other:v1`)).rejects.toMatchObject({
        code: expect.stringMatching(/^ERR_BERTH_REGISTRY_(UNAUTHORIZED|DENIED)$/),
        message: expect.stringContaining(`push access denied for ${registry.host}/bob/other`),
      });
    } finally {
      await Promise.all([bob.close(), anon.close()]);
    }
  });

  test('an identity token is exchanged with an OAuth2 refresh_token POST', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    await makeImage(src, 'v1', [50]);
    const client = new RegistryClient({ credentials: creds({ [registry.host]: { identityToken: 'refresh-bob' } }) });
    try {
      await pushFromLayout(client, src.dir, `${registry.host}/bob/oauth:v1`);
      expect(tokens.requests).toEqual([
        expect.objectContaining({ method: 'POST', grantType: 'refresh_token', user: 'bob', service: 'berth-test' }),
      ]);
    } finally {
      await client.close();
    }
  });

  test('login stores checked credentials; an OAuth2 password grant yields a refresh token that works as identity token', async () => {
    const agent = new Agent();
    const cfgDir = path.join(dir, 'cfg');
    const client = new RegistryClient();
    try {
      await expect(login(client, registry.host, { username: 'bob', password: 'nope' }, new DockerConfig({ dir: cfgDir }))).rejects.toMatchObject({
        code: 'ERR_BERTH_AUTH',
      });
      await expect(fs.access(path.join(cfgDir, 'config.json'))).rejects.toThrow();
      await login(client, registry.host, { username: 'bob', password: 'builder' }, new DockerConfig({ dir: cfgDir }));
      expect(await new DockerConfig({ dir: cfgDir }).get(registry.host)).toEqual({ username: 'bob', password: 'builder' });

      const grant = await passwordGrant({ scheme: 'bearer', params: { realm: tokens.realm, service: 'berth-test' } }, [], { username: 'bob', password: 'builder' }, agent);
      expect(grant.refreshToken).toMatch(/^[a-f0-9]+$/);
      const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
      await makeImage(src, 'v1', [20]);
      const viaRefresh = new RegistryClient({ credentials: creds({ [registry.host]: { identityToken: grant.refreshToken } }) });
      try {
        await pushFromLayout(viaRefresh, src.dir, `${registry.host}/bob/refreshed:v1`);
      } finally {
        await viaRefresh.close();
      }
      expect(tokens.requests.at(-1)).toMatchObject({ method: 'POST', grantType: 'refresh_token', user: 'bob' });
    } finally {
      await client.close();
      await agent.close();
    }
  });

  test('the token cache honours expires_in', async () => {
    const short = await startTokenServer({ certs, service: 'berth-test', issuer: 'berth-test-issuer', expiresIn: 10 });
    let now = 1_000_000;
    const cache = new TokenCache(() => now);
    const agent = new Agent();
    try {
      const challenge = { scheme: 'bearer', params: { realm: short.realm, service: 'berth-test' } };
      const first = await cache.token(challenge, ['repository:a/b:pull'], undefined, agent);
      now += 5_000;
      expect(await cache.token(challenge, ['repository:a/b:pull'], undefined, agent)).toBe(first);
      expect(short.requests.length).toBe(1);
      await cache.token(challenge, ['repository:a/c:pull'], undefined, agent);
      expect(short.requests.length).toBe(2); // another scope, another token
      now += 5_000; // past expires_in (renewed a little early)
      await cache.token(challenge, ['repository:a/b:pull'], undefined, agent);
      expect(short.requests.length).toBe(3);
    } finally {
      await agent.close();
      await short.stop();
    }
  });

  test('a pull token is upgraded to pull,push when the same client pushes', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    await makeImage(src, 'v1', [50]);
    const client = new RegistryClient({ credentials: creds({ [registry.host]: { username: 'bob', password: 'builder' } }) });
    try {
      await pushFromLayout(client, src.dir, `${registry.host}/bob/up:v1`);
      await pullToLayout(client, `${registry.host}/bob/up:v1`, path.join(dir, 'o'));
      await pushFromLayout(client, src.dir, `${registry.host}/bob/up:v2`);
      expect(tokens.requests.map((r) => r.scopes.join(' '))).toEqual([
        'repository:bob/up:pull,push',
        'repository:bob/up:pull',
      ]);
    } finally {
      await client.close();
    }
  });

  test('insufficient_scope: the scope from the challenge is requested and the call retried', async () => {
    const client = new RegistryClient({ credentials: creds({ [registry.host]: { username: 'bob', password: 'builder' } }) });
    try {
      const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
      await makeImage(src, 'v1', [10]);
      await pushFromLayout(client, src.dir, `${registry.host}/bob/scoped:v1`);
      tokens.requests.length = 0;
      // Ask with no scope at all: the registry answers 401 insufficient_scope naming the one it needs.
      const res = await client.transport(registry.host).request({ method: 'GET', path: '/v2/bob/scoped/tags/list', scopes: [] });
      expect(await res.body.json()).toEqual({ name: 'bob/scoped', tags: ['v1'] });
      expect(tokens.requests.at(-1)?.scopes).toEqual(['repository:bob/scoped:pull']);
    } finally {
      await client.close();
    }
  });

  test('wrong credentials at the token server: a typed error that does not contain the password', async () => {
    const client = new RegistryClient({ credentials: creds({ [registry.host]: { username: 'bob', password: 'not-his-pw' } }) });
    try {
      const err = await pullToLayout(client, `${registry.host}/bob/app:v1`, path.join(dir, 'x')).catch((e: Error) => e);
      expect(err).toMatchObject({ code: 'ERR_BERTH_AUTH' });
      expect((err as Error).message).not.toContain('not-his-pw');
    } finally {
      await client.close();
    }
  });
});

describe('mutual TLS', () => {
  test('a client certificate from certs.d/<host:port>/client.cert + client.key is presented', async () => {
    const registry = await startRegistry({ tls: certs, clientAuth: true });
    const dir = await tempDir();
    const certsDir = path.join(dir, 'certs.d');
    await fs.mkdir(path.join(certsDir, registry.host), { recursive: true });
    await fs.copyFile(certs.caCertFile, path.join(certsDir, registry.host, 'ca.crt'));
    const without = new RegistryClient({ insecureLoopback: false, certsDirs: [certsDir], retries: 0 });
    const withCert = new RegistryClient({ insecureLoopback: false, certsDirs: [certsDir] });
    try {
      await expect(without.repository(registry.host, 'm/tls').tags()).rejects.toMatchObject({ code: 'ERR_BERTH_REGISTRY_UNREACHABLE' });
      await fs.copyFile(certs.clientCertFile, path.join(certsDir, registry.host, 'client.cert'));
      await fs.copyFile(certs.clientKeyFile, path.join(certsDir, registry.host, 'client.key'));
      expect(await withCert.repository(registry.host, 'm/tls').headManifest('v1')).toBeUndefined();
    } finally {
      await Promise.all([without.close(), withCert.close()]);
      await registry.stop();
      await rmrf(dir);
    }
  });
});

describe('TLS with a test CA', () => {
  let registry: TestRegistry;
  let dir: string;
  beforeAll(async () => {
    registry = await startRegistry({ tls: certs });
  });
  afterAll(() => registry?.stop());
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(() => rmrf(dir));

  test('verified with certs.d/<host:port>/ca.crt; refused without it; loopback insecure by default', async () => {
    const src = await OciLayout.open(path.join(dir, 'src'), { create: true });
    const img = await makeImage(src, 'v1', [100]);
    const certsDir = path.join(dir, 'certs.d');
    await fs.mkdir(path.join(certsDir, registry.host), { recursive: true });
    await fs.copyFile(certs.caCertFile, path.join(certsDir, registry.host, 'ca.crt'));

    const strict = new RegistryClient({ insecureLoopback: false, certsDirs: [] });
    const trusted = new RegistryClient({ insecureLoopback: false, certsDirs: [certsDir] });
    const loose = new RegistryClient();
    try {
      await expect(pushFromLayout(strict, src.dir, `${registry.host}/tls/app:v1`)).rejects.toMatchObject({
        code: 'ERR_BERTH_REGISTRY_UNREACHABLE',
        message: expect.stringMatching(/certificate/),
      });
      expect(await pushFromLayout(trusted, src.dir, `${registry.host}/tls/app:v1`)).toBe(img.descriptor.digest);
      expect((await trusted.transport(registry.host).baseUrl()).startsWith('https://')).toBe(true);
      const pulled = await pullToLayout(loose, `${registry.host}/tls/app:v1`, path.join(dir, 'out'));
      expect(pulled.descriptor.digest).toBe(img.descriptor.digest);
    } finally {
      await Promise.all([strict.close(), trusted.close(), loose.close()]);
    }
  });
});
