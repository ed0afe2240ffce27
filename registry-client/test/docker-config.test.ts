import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DockerConfig, DOCKER_HUB_AUTH_KEY, credentialHelper } from '../src';
import { installCredentialHelper } from './helpers/cred-helper';
import { rmrf, tempDir } from './helpers/tmp';

describe('DockerConfig credentials', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    dir = await tempDir();
    env = { PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, DOCKER_CONFIG: path.join(dir, 'cfg') };
    await fs.mkdir(path.join(dir, 'cfg'));
  });
  afterEach(() => rmrf(dir));

  const writeConfig = (config: unknown): Promise<void> =>
    fs.writeFile(path.join(dir, 'cfg', 'config.json'), JSON.stringify(config));

  test('reads base64 auth, identitytoken and the Docker Hub key from $DOCKER_CONFIG', async () => {
    await writeConfig({
      auths: {
        [DOCKER_HUB_AUTH_KEY]: { auth: Buffer.from('hubuser:hub:pass').toString('base64') },
        'https://reg.example.com:5000/v1/': { auth: Buffer.from('u:p').toString('base64') },
        'tok.example.com': { identitytoken: 'refresh-123' },
      },
    });
    const config = new DockerConfig({ env });
    expect(await config.get('docker.io')).toEqual({ username: 'hubuser', password: 'hub:pass' });
    expect(await config.get('reg.example.com:5000')).toEqual({ username: 'u', password: 'p' });
    expect(await config.get('tok.example.com')).toEqual({ identityToken: 'refresh-123' });
    expect(await config.get('other.example.com')).toBeUndefined();
  });

  test('store writes base64 auth atomically with mode 0600 and keeps other settings; erase removes it', async () => {
    await writeConfig({ auths: {}, psFormat: 'table {{.ID}}' });
    const config = new DockerConfig({ env });
    await config.store('docker.io', { username: 'me', password: 's3cret' });
    const file = path.join(dir, 'cfg', 'config.json');
    const written = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(written.auths[DOCKER_HUB_AUTH_KEY].auth).toBe(Buffer.from('me:s3cret').toString('base64'));
    expect(written.psFormat).toBe('table {{.ID}}');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.readdir(path.join(dir, 'cfg'))).sort()).toEqual(['config.json']);
    await config.erase('docker.io');
    expect(await config.get('docker.io')).toBeUndefined();
  });

  test('a broken config.json is a typed error naming the file', async () => {
    await fs.writeFile(path.join(dir, 'cfg', 'config.json'), '{nope');
    await expect(new DockerConfig({ env }).get('x.io')).rejects.toMatchObject({
      code: 'ERR_BERTH_DOCKER_CONFIG',
      message: expect.stringContaining(path.join(dir, 'cfg', 'config.json')),
    });
  });

  test('credsStore and credHelpers go through docker-credential-<name> get/store/erase/list', async () => {
    await installCredentialHelper(path.join(dir, 'bin'), 'teststore', path.join(dir, 'store-a'));
    await installCredentialHelper(path.join(dir, 'bin'), 'special', path.join(dir, 'store-b'));
    await writeConfig({ credsStore: 'teststore', credHelpers: { 'special.example.com': 'special' } });
    const config = new DockerConfig({ env });

    await config.store('docker.io', { username: 'hub', password: 'pw1' });
    await config.store('special.example.com', { identityToken: 'idtok' });
    expect(await config.get('docker.io')).toEqual({ username: 'hub', password: 'pw1' });
    expect(await config.get('special.example.com')).toEqual({ identityToken: 'idtok' });
    // The helper, not config.json, holds the secrets.
    const text = await fs.readFile(path.join(dir, 'cfg', 'config.json'), 'utf8');
    expect(text).not.toContain('pw1');
    expect(text).not.toContain('idtok');
    expect(await credentialHelper('teststore', env).list()).toEqual({ [DOCKER_HUB_AUTH_KEY]: 'hub' });
    expect(await (await fs.readdir(path.join(dir, 'store-b'))).length).toBe(1);

    await config.erase('docker.io');
    expect(await config.get('docker.io')).toBeUndefined();
    expect(await credentialHelper('teststore', env).list()).toEqual({});
  });

  test('a missing helper is a typed error', async () => {
    await writeConfig({ credsStore: 'does-not-exist' });
    await expect(new DockerConfig({ env }).get('x.io')).rejects.toMatchObject({ code: 'ERR_BERTH_CREDENTIAL_HELPER' });
  });
});
