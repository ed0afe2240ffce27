import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, waitForPort } from './ports';
import type { TestCerts } from './certs';

export interface RegistryOptions {
  /** htpasswd Basic auth with these users. */
  htpasswd?: Record<string, string>;
  /** Token auth against this realm, verified with the token certificate. */
  token?: { realm: string; service: string; issuer: string; certs: TestCerts };
  /** Serve HTTPS with the test CA's server certificate. */
  tls?: TestCerts;
  /** With tls: require client certificates signed by the test CA. */
  clientAuth?: boolean;
  /** Regexes of foreign-layer `urls` the registry accepts in manifests (distribution's validation.manifests.urls.allow). */
  allowUrls?: string[];
}

export interface TestRegistry {
  /** `127.0.0.1:<port>`, as in image references. */
  host: string;
  port: number;
  storage: string;
  /** The registry's stderr so far, for failing tests to show. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts Debian's docker-registry (distribution 2.8) on a free loopback port with a temp storage dir. */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-registry-'));
  const storage = path.join(dir, 'storage');
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: berth-test-secret',
  ];
  if (options.tls) {
    lines.push('  tls:', `    certificate: ${options.tls.serverCertFile}`, `    key: ${options.tls.serverKeyFile}`);
    if (options.clientAuth) lines.push('    clientcas:', `      - ${options.tls.caCertFile}`);
  }
  if (options.htpasswd) {
    const file = path.join(dir, 'htpasswd');
    for (const [user, pass] of Object.entries(options.htpasswd)) {
      const line = execFileSync('htpasswd', ['-nbB', user, pass], { encoding: 'utf8' }).trim();
      await fs.appendFile(file, `${line}\n`);
    }
    lines.push('auth:', '  htpasswd:', '    realm: berth-test', `    path: ${file}`);
  } else if (options.token) {
    const t = options.token;
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${t.realm}`,
      `    service: ${t.service}`,
      `    issuer: ${t.issuer}`,
      `    rootcertbundle: ${t.certs.tokenCertFile}`,
    );
  }
  if (options.allowUrls) {
    lines.push('validation:', '  manifests:', '    urls:', '      allow:', ...options.allowUrls.map((r) => `        - ${JSON.stringify(r)}`));
  }
  const config = path.join(dir, 'config.yml');
  await fs.writeFile(config, lines.join('\n') + '\n');

  let stderr = '';
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-20000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, () => child.exitCode === null && child.signalCode === null);
  } catch (err) {
    child.kill('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
    throw new Error(`docker-registry did not start: ${(err as Error).message}\n${stderr}`);
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    storage,
    log: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
