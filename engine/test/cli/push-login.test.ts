import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { startRegistry, type TestRegistry } from '../../../registry-client/test/helpers/registry';
import { berth, buildCli, rmrf, seedImage, tempDir } from '../helpers';

let open: TestRegistry;
let authed: TestRegistry;
let root: string;
let config: string;
let ref: string;

beforeAll(async () => {
  buildCli();
  [open, authed] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { alice: 's3cret' } })]);
  await seedImage(open.host, 'busybox');
  ref = `${open.host}/busybox:latest`;
}, 120_000);

afterAll(async () => {
  await Promise.all([open?.stop(), authed?.stop()]);
});

beforeEach(async () => {
  root = tempDir('berth-engine-root-');
  config = tempDir('berth-engine-docker-config-');
  expect((await b('pull', '-q', ref)).code).toBe(0);
});
afterEach(() => {
  rmrf(root);
  rmrf(config);
});

const b = (...args: string[]): ReturnType<typeof berth> => berth(['--root', root, ...args], { env: { DOCKER_CONFIG: config } });
const bIn = (input: string, ...args: string[]): ReturnType<typeof berth> =>
  berth(['--root', root, ...args], { env: { DOCKER_CONFIG: config }, input });

describe('berth login, logout, push', () => {
  it("login checks the password, stores it in $DOCKER_CONFIG/config.json (0600) with Docker's messages; logout removes it", async () => {
    const bad = await bIn('wrong\n', 'login', '-u', 'alice', '--password-stdin', authed.host);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: .*(unauthorized|401|credentials)/i);
    expect(() => statSync(path.join(config, 'config.json'))).toThrow();

    const r = await bIn('s3cret\n', 'login', '-u', 'alice', '--password-stdin', `https://${authed.host}/`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Login Succeeded\n');
    expect(r.stderr).toContain(`WARNING! Your credentials are stored unencrypted in '${path.join(config, 'config.json')}'.`);
    const file = path.join(config, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(doc.auths[authed.host].auth, 'base64').toString()).toBe('alice:s3cret');

    expect(await b('logout', authed.host)).toEqual({ code: 0, stdout: `Removing login credentials for ${authed.host}\n`, stderr: '' });
    const after = JSON.parse(readFileSync(file, 'utf8')) as { auths?: Record<string, unknown> };
    expect(after.auths?.[authed.host]).toBeUndefined();
    expect((await b('logout', authed.host)).stdout).toBe(`Not logged in to ${authed.host}\n`);
  });

  it('login usage errors exit 125; no terminal and no password is an error', async () => {
    expect((await bIn('x', 'login', '--password-stdin', authed.host)).code).toBe(125);
    expect((await bIn('x', 'login', '-u', 'a', '-p', 'b', '--password-stdin', authed.host)).code).toBe(125);
    const r = await bIn('', 'login', authed.host);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'Error: Cannot perform an interactive login from a non TTY device\n' });
  });

  it("push prints Docker's lines, needs a login on an authenticating registry, and the pushed image pulls back with the same digest", async () => {
    const target = `${authed.host}/team/app:1`;
    expect((await b('tag', ref, target)).code).toBe(0);
    const denied = await b('push', target);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(new RegExp(`^Error: .*requires authentication; run \`berth login ${authed.host}\``));

    expect((await bIn('s3cret', 'login', '-u', 'alice', '--password-stdin', authed.host)).code).toBe(0);
    const r = await b('push', target);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`The push refers to repository [${authed.host}/team/app]`);
    const id = lines[1].slice(0, 12);
    expect(lines.slice(1, 3)).toEqual([`${id}: Preparing`, `${id}: Pushed`]);
    const digest = (await b('image', 'inspect', '--format', '{{.Descriptor.digest}}', ref)).stdout.trim();
    expect(lines[3]).toMatch(new RegExp(`^1: digest: ${digest} size: \\d+$`));
    const again = await b('push', target);
    expect(again.stdout).toContain(`${id}: Layer already exists\n`);
    const repoDigests = (await b('image', 'inspect', '--format', '{{json .RepoDigests}}', target)).stdout;
    expect(repoDigests).toContain(`${authed.host}/team/app@${digest}`);

    const other = tempDir('berth-engine-root2-');
    try {
      const pulled = await berth(['--root', other, 'pull', target], { env: { DOCKER_CONFIG: config } });
      expect(pulled.code).toBe(0);
      expect(pulled.stdout).toContain(`Digest: ${digest}\n`);
    } finally {
      rmrf(other);
    }
    expect((await b('push', `${authed.host}/missing:1`)).stderr).toBe(
      `Error: An image does not exist locally with the tag: ${authed.host}/missing\n`,
    );
  });
});
