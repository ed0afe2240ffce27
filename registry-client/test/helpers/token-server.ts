import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestCerts } from './certs';

export interface TokenRequest {
  method: string;
  grantType?: string;
  /** Who authenticated (Basic user, password-grant user, refresh-token owner), or '' for anonymous. */
  user: string;
  scopes: string[];
  service: string;
}

export interface TokenServerOptions {
  certs: TestCerts;
  service: string;
  issuer: string;
  users?: Record<string, string>;
  /** Refresh tokens (identity tokens) and the user each belongs to. */
  refreshTokens?: Record<string, string>;
  /** Which actions a user gets for a repository; default: anonymous pull, users everything asked for. */
  grant?: (user: string, repository: string, actions: string[]) => string[];
  expiresIn?: number;
}

export interface TokenServer {
  realm: string;
  requests: TokenRequest[];
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/**
 * The Docker token flow's server side: GET with optional Basic auth and
 * OAuth2 POST (password and refresh_token grants). Issues RS256 JWTs whose
 * x5c header carries the certificate the registry's rootcertbundle trusts.
 */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const key = createPrivateKey(await fs.readFile(options.certs.tokenKeyFile));
  const cert = new X509Certificate(await fs.readFile(options.certs.tokenCertFile));
  const x5c = cert.raw.toString('base64');
  const requests: TokenRequest[] = [];
  const grant =
    options.grant ?? ((user: string, _repo: string, actions: string[]) => (user ? actions : actions.filter((a) => a === 'pull')));

  const issue = (user: string, scopes: string[]): string => {
    const access = scopes.flatMap((s) => {
      const [type, ...rest] = s.split(':');
      const actions = rest.pop()?.split(',') ?? [];
      const name = rest.join(':');
      return [{ type, name, actions: type === 'repository' ? grant(user, name, actions) : user ? actions : [] }];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [x5c] }));
    const claims = b64url(
      JSON.stringify({
        iss: options.issuer,
        sub: user,
        aud: options.service,
        exp: now + (options.expiresIn ?? 300),
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access,
      }),
    );
    const sig = sign('sha256', Buffer.from(`${header}.${claims}`), key);
    return `${header}.${claims}.${b64url(sig)}`;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname !== '/token') return reply(404, { error: 'not found' });
      let user = '';
      let scopes: string[];
      let service: string;
      let grantType: string | undefined;
      if (req.method === 'POST') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        grantType = form.get('grant_type') ?? undefined;
        scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        service = form.get('service') ?? '';
        if (grantType === 'password') {
          const u = form.get('username') ?? '';
          if (options.users?.[u] !== form.get('password')) return reply(401, { error: 'invalid_grant' });
          user = u;
        } else if (grantType === 'refresh_token') {
          const owner = options.refreshTokens?.[form.get('refresh_token') ?? ''];
          if (!owner) return reply(401, { error: 'invalid_grant' });
          user = owner;
        } else return reply(400, { error: 'unsupported_grant_type' });
      } else {
        scopes = url.searchParams.getAll('scope');
        service = url.searchParams.get('service') ?? '';
        const auth = req.headers.authorization;
        if (auth?.startsWith('Basic ')) {
          const [u, ...p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
          if (options.users?.[u] !== p.join(':')) return reply(401, { details: 'incorrect username or password' });
          user = u;
        }
      }
      requests.push({ method: req.method ?? '', grantType, user, scopes, service });
      const token = issue(user, scopes);
      const body: Record<string, unknown> = { token, access_token: token, expires_in: options.expiresIn ?? 300 };
      if (grantType === 'password') {
        const refresh = randomBytes(12).toString('hex');
        options.refreshTokens = { ...options.refreshTokens, [refresh]: user };
        body.refresh_token = refresh;
      }
      reply(200, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
