import type { Dispatcher } from 'undici';
import { request } from './undici';
import type { Credentials } from './docker-config';
import { AuthError } from './errors';
import type { Challenge } from './www-authenticate';

/** A bearer token and when it stops being usable (ms since epoch). */
interface CachedToken {
  token: string;
  expiresAt: number;
}

interface TokenResponse {
  token?: string;
  access_token?: string;
  expires_in?: number;
  refresh_token?: string;
}

/** Tokens live 60 s when the server does not say (the distribution spec's default). */
const DEFAULT_EXPIRES_S = 60;

/**
 * Obtains and caches bearer tokens. Keyed by realm, service and the sorted
 * scope set, so a `pull,push` token is never mistaken for a `pull` one.
 */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  async token(
    challenge: Challenge,
    scopes: readonly string[],
    creds: Credentials | undefined,
    dispatcher: Dispatcher,
    fresh = false,
  ): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) throw new AuthError('bearer challenge without a realm');
    const service = challenge.params.service ?? '';
    const sorted = [...new Set(scopes)].sort();
    const key = `${realm}\n${service}\n${sorted.join(' ')}\n${creds?.username ?? ''}`;
    const hit = this.tokens.get(key);
    if (hit && hit.expiresAt > this.now() && !fresh) return hit.token;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = fetchToken(realm, service, sorted, creds, dispatcher).then(
      (res) => {
        this.inflight.delete(key);
        const life = (res.expires_in && res.expires_in > 0 ? res.expires_in : DEFAULT_EXPIRES_S) * 1000;
        // Renew a little early so a token never expires in flight.
        this.tokens.set(key, { token: res.token, expiresAt: this.now() + life * 0.9 });
        return res.token;
      },
      (err: unknown) => {
        this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, p);
    return p;
  }

  clear(): void {
    this.tokens.clear();
  }
}

export function basicAuth(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}`;
}

async function fetchToken(
  realm: string,
  service: string,
  scopes: readonly string[],
  creds: Credentials | undefined,
  dispatcher: Dispatcher,
): Promise<{ token: string; expires_in?: number }> {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new AuthError(`token realm "${realm}" is not a URL`);
  }
  if (creds?.identityToken) {
    // OAuth2 refresh-token grant: how `docker login` identity tokens are used.
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: creds.identityToken,
      service,
      client_id: 'berth',
    });
    if (scopes.length) form.set('scope', scopes.join(' '));
    return postToken(url, form, dispatcher);
  }
  if (service) url.searchParams.set('service', service);
  for (const s of scopes) url.searchParams.append('scope', s);
  const headers: Record<string, string> = {};
  if (creds?.username !== undefined) headers.authorization = basicAuth(creds);
  const res = await request(url, { method: 'GET', headers, dispatcher });
  return readToken(url, res);
}

/** OAuth2 password grant, for callers that want a refresh token (`berth login`). */
export async function passwordGrant(
  challenge: Challenge,
  scopes: readonly string[],
  creds: Credentials,
  dispatcher: Dispatcher,
): Promise<{ token: string; refreshToken?: string }> {
  const url = new URL(challenge.params.realm ?? '');
  const form = new URLSearchParams({
    grant_type: 'password',
    username: creds.username ?? '',
    password: creds.password ?? '',
    service: challenge.params.service ?? '',
    client_id: 'berth',
    access_type: 'offline',
  });
  if (scopes.length) form.set('scope', scopes.join(' '));
  const res = await postToken(url, form, dispatcher);
  return { token: res.token, refreshToken: res.refresh_token };
}

async function postToken(
  url: URL,
  form: URLSearchParams,
  dispatcher: Dispatcher,
): Promise<{ token: string; expires_in?: number; refresh_token?: string }> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    dispatcher,
  });
  return readToken(url, res);
}

async function readToken(
  url: URL,
  res: Dispatcher.ResponseData,
): Promise<{ token: string; expires_in?: number; refresh_token?: string }> {
  const where = `${url.origin}${url.pathname}`;
  if (res.statusCode !== 200) {
    const text = (await res.body.text()).slice(0, 200);
    throw new AuthError(`token server ${where} answered ${res.statusCode}${text ? `: ${text.trim()}` : ''}`);
  }
  let body: TokenResponse;
  try {
    body = (await res.body.json()) as TokenResponse;
  } catch {
    throw new AuthError(`token server ${where} did not answer JSON`);
  }
  const token = body.token || body.access_token;
  if (!token) throw new AuthError(`token server ${where} answered without a token`);
  return { token, expires_in: body.expires_in, refresh_token: body.refresh_token };
}
