import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BerthError } from '@berth/spec';
import { CredentialHelperError } from './errors';

/** What a registry login yields: a username and password, or an OAuth2 identity (refresh) token. */
export interface Credentials {
  username?: string;
  password?: string;
  identityToken?: string;
}

/** Where credentials come from; `registry` is a host as in references (`docker.io`, `host:5000`). */
export interface CredentialStore {
  get(registry: string): Promise<Credentials | undefined>;
}

/** Docker Hub's credentials live under this key, for historical reasons. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  [k: string]: unknown;
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
}

/** The key a registry's credentials are stored under in config.json and helpers. */
export function authKey(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? DOCKER_HUB_AUTH_KEY : registry;
}

/** `https://host:5000/v1/` → `host:5000`, as Docker matches `auths` keys. */
function keyHost(key: string): string {
  const s = key.replace(/^https?:\/\//, '');
  const host = s.split('/')[0];
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/**
 * Reads and writes credentials the way the docker CLI does:
 * `credHelpers[host]`, then `credsStore`, then `auths` (base64 `auth`,
 * `identitytoken`). Writes go to the same place reads come from, and the
 * file is replaced atomically with mode 0600.
 */
export class DockerConfig implements CredentialStore {
  readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(options: { dir?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.env = options.env ?? process.env;
    this.dir = options.dir ?? dockerConfigDir(this.env);
  }

  get file(): string {
    return path.join(this.dir, 'config.json');
  }

  async read(): Promise<DockerConfigFile> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      return parsed as DockerConfigFile;
    } catch (err) {
      throw new BerthError('ERR_BERTH_DOCKER_CONFIG', `${this.file}: not valid JSON: ${(err as Error).message}`);
    }
  }

  private helperFor(config: DockerConfigFile, registry: string): string | undefined {
    const key = authKey(registry);
    return config.credHelpers?.[registry] ?? config.credHelpers?.[key] ?? config.credsStore;
  }

  async get(registry: string): Promise<Credentials | undefined> {
    const config = await this.read();
    const helper = this.helperFor(config, registry);
    if (helper) {
      const found = await credentialHelper(helper, this.env).get(authKey(registry));
      if (found) return found;
    }
    const wanted = keyHost(authKey(registry));
    for (const [key, entry] of Object.entries(config.auths ?? {})) {
      if (keyHost(key) !== wanted) continue;
      return decodeEntry(entry, this.file, key);
    }
    return undefined;
  }

  async store(registry: string, creds: Credentials): Promise<void> {
    const config = await this.read();
    const key = authKey(registry);
    const helper = this.helperFor(config, registry);
    if (helper) {
      await credentialHelper(helper, this.env).store(key, creds);
      // Docker leaves an empty entry so `docker login` status shows the registry.
      config.auths = { ...config.auths, [key]: {} };
    } else {
      const entry: AuthEntry = {};
      if (creds.identityToken) entry.identitytoken = creds.identityToken;
      else entry.auth = Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64');
      config.auths = { ...config.auths, [key]: entry };
    }
    await this.write(config);
  }

  async erase(registry: string): Promise<void> {
    const config = await this.read();
    const key = authKey(registry);
    const helper = this.helperFor(config, registry);
    if (helper) await credentialHelper(helper, this.env).erase(key);
    if (config.auths) {
      for (const k of Object.keys(config.auths)) if (keyHost(k) === keyHost(key)) delete config.auths[k];
    }
    await this.write(config);
  }

  private async write(config: DockerConfigFile): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(config, null, '\t') + '\n', { mode: 0o600 });
    await fs.rename(tmp, this.file);
  }
}

function decodeEntry(entry: AuthEntry, file: string, key: string): Credentials | undefined {
  const creds: Credentials = {};
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new BerthError('ERR_BERTH_DOCKER_CONFIG', `${file}: auths["${key}"].auth is not base64 of user:password`);
    }
    creds.username = decoded.slice(0, colon);
    creds.password = decoded.slice(colon + 1);
  } else if (typeof entry.username === 'string') {
    creds.username = entry.username;
    creds.password = typeof entry.password === 'string' ? entry.password : '';
  }
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') creds.identityToken = entry.identitytoken;
  return creds.username !== undefined || creds.identityToken ? creds : undefined;
}

/** The `docker-credential-<name>` protocol: one action per process, payload on stdin, JSON on stdout. */
export function credentialHelper(name: string, env: NodeJS.ProcessEnv = process.env) {
  const program = `docker-credential-${name}`;
  const run = (action: string, input: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = spawn(program, [action], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.resume();
      child.on('error', (err) => reject(new CredentialHelperError(`${program} ${action}: ${err.message}`, { cause: err })));
      child.on('close', (code) => {
        const text = Buffer.concat(out).toString('utf8').trim();
        if (code === 0) resolve(text);
        else reject(new CredentialHelperError(`${program} ${action} exited ${code}${text && action !== 'get' ? `: ${text}` : ''}`, { cause: text }));
      });
      child.stdin.on('error', () => undefined); // a helper may exit before reading
      child.stdin.end(input);
    });
  return {
    async get(serverUrl: string): Promise<Credentials | undefined> {
      let text: string;
      try {
        text = await run('get', serverUrl);
      } catch (err) {
        // Helpers report a miss as a non-zero exit with this message.
        if (err instanceof CredentialHelperError && /credentials not found/i.test(String(err.cause))) return undefined;
        throw err;
      }
      let parsed: { Username?: string; Secret?: string };
      try {
        parsed = JSON.parse(text) as { Username?: string; Secret?: string };
      } catch {
        throw new CredentialHelperError(`${program} get: output is not JSON`);
      }
      if (!parsed.Secret && !parsed.Username) return undefined;
      if (parsed.Username === '<token>') return { identityToken: parsed.Secret ?? '' };
      return { username: parsed.Username ?? '', password: parsed.Secret ?? '' };
    },
    async store(serverUrl: string, creds: Credentials): Promise<void> {
      const payload = creds.identityToken
        ? { ServerURL: serverUrl, Username: '<token>', Secret: creds.identityToken }
        : { ServerURL: serverUrl, Username: creds.username ?? '', Secret: creds.password ?? '' };
      await run('store', JSON.stringify(payload));
    },
    async erase(serverUrl: string): Promise<void> {
      await run('erase', serverUrl);
    },
    async list(): Promise<Record<string, string>> {
      const text = await run('list', '');
      return text ? (JSON.parse(text) as Record<string, string>) : {};
    },
  };
}
