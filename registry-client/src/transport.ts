import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import * as tls from 'node:tls';
import type { Dispatcher } from 'undici';
import { Agent, request } from './undici';
import { TokenCache, basicAuth } from './auth';
import type { CredentialStore, Credentials } from './docker-config';
import { BerthError } from '@berth/spec';
import { AuthError, RegistryError, type RateLimit, type RegistryErrorDetail } from './errors';
import { parseWwwAuthenticate, type Challenge } from './www-authenticate';
import { directGet, type DirectResponse } from './direct';

export interface TransportOptions {
  /** Where credentials come from; none means anonymous. */
  credentials?: CredentialStore;
  /**
   * Registries (`host:port`) that may be reached over plain HTTP or TLS
   * without verification, like dockerd's `insecure-registries`. Loopback
   * hosts are always insecure, as in dockerd.
   */
  insecureRegistries?: readonly string[];
  /** Treat loopback registries as insecure, as dockerd does (default true). */
  insecureLoopback?: boolean;
  /** Directories holding `<host:port>/ca.crt` (default: /etc/docker/certs.d, /etc/berth/certs.d). */
  certsDirs?: readonly string[];
  /**
   * Read blobs from plain-HTTP registries into pooled memory instead of
   * through undici (default true; see direct.ts). Only for sinks whose writer
   * `releasesChunks`.
   */
  directBlobs?: boolean;
  /** Extra CA certificates (PEM) trusted for every registry. */
  ca?: readonly string[];
  /**
   * Files of extra CA certificates (PEM) trusted for every registry, read when
   * the first request is made: `berth` hands over NODE_EXTRA_CA_CERTS this way
   * so that commands which contact no registry do not pay for parsing it.
   */
  caFiles?: readonly string[];
  /** Attempts after the first on 429, 5xx and dropped connections (default 5). */
  retries?: number;
  /** First backoff delay; doubles per attempt (default 200 ms). */
  retryDelayMs?: number;
  /** Longest Retry-After honoured (default 60 s). */
  maxRetryAfterMs?: number;
  userAgent?: string;
  /** Share tokens between clients. */
  tokenCache?: TokenCache;
  /** Cancels every request of this client (Ctrl-C): in-flight blobs are aborted and their temp files removed. */
  signal?: AbortSignal;
}

export interface TransportRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** A path on the registry (`/v2/...`) or an absolute URL (an upload Location). */
  path: string;
  headers?: Record<string, string>;
  /** Called once per attempt so a retried request sends its body again. */
  body?: () => Buffer | string | Readable | AsyncIterable<Buffer>;
  /** Token scopes (`repository:foo/bar:pull`). */
  scopes: readonly string[];
  /** Statuses handed back to the caller instead of raised (404 on HEAD, 416, ...). */
  accept?: readonly number[];
  /** Whether to retry on 429/5xx/reset (default true). */
  retry?: boolean;
  /** For messages: what this request is for ("manifest foo:1"). */
  what?: string;
}

export interface TransportResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** The URL that finally answered, after redirects. */
  url: URL;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_ERRORS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const TLS_FALLBACK_ERRORS = /EPROTO|WRONG_VERSION_NUMBER|ECONNRESET|packet length too long|UND_ERR_SOCKET/;

export function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

export function header(res: { headers: TransportResponse['headers'] }, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function isRetryableError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code !== undefined && RETRY_ERRORS.has(code);
}

/** A delay that ends early, with the abort reason, when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Talks HTTP to one registry: picks the scheme, authenticates for the scopes
 * each request needs, retries what can be retried, and follows redirects
 * without carrying Authorization to another host.
 */
async function readCaFiles(files: readonly string[]): Promise<string[]> {
  return Promise.all(
    files.map((file) =>
      fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new BerthError('ERR_BERTH_CA_FILE', `${file}: cannot read extra CA certificates: ${err.code ?? err.message}`);
      }),
    ),
  );
}

/**
 * The CAs a registry's TLS connections trust. Passing `ca` replaces Node's roots and costs a
 * parse of all of them (with NODE_EXTRA_CA_CERTS's bundle added, ~75 ms at load 6), so only
 * when there is something to add. An insecure registry (loopback, `insecure-registries`) is
 * not verified at all, so it gets none (`[]`: not even Node's roots are loaded), unless a client
 * certificate may need the extra CAs to send its chain: the HTTPS attempt that dockerd also
 * makes first, and that fails on a plain-HTTP registry, then costs no CA parsing.
 */
export function tlsTrust(insecure: boolean, extra: readonly string[], clientCert: boolean): { ca: string[] | undefined; rejectUnauthorized: boolean } {
  if (insecure && !clientCert) return { ca: [], rejectUnauthorized: false };
  return { ca: extra.length ? [...tls.rootCertificates, ...extra] : undefined, rejectUnauthorized: !insecure };
}

export class RegistryTransport {
  readonly registry: string;
  private readonly options: TransportOptions;
  private readonly tokens: TokenCache;
  private readonly insecure: boolean;
  private origin?: string;
  private challenge?: Challenge;
  private creds?: Promise<Credentials | undefined>;
  private dispatcher?: Promise<Agent>;
  private pinged?: Promise<void>;
  /** Set once a direct blob GET got an answer only `request` can handle. */
  private directOff = false;

  constructor(registry: string, options: TransportOptions = {}) {
    this.registry = registry;
    this.options = options;
    this.tokens = options.tokenCache ?? new TokenCache();
    this.insecure = (options.insecureLoopback !== false && isLoopback(registry)) || (options.insecureRegistries ?? []).includes(registry);
  }

  /** The host HTTP goes to: Docker Hub's API lives on registry-1.docker.io. */
  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  get apiHost(): string {
    return this.registry === 'docker.io' ? 'registry-1.docker.io' : this.registry;
  }

  private agent(): Promise<Agent> {
    this.dispatcher ??= (async () => {
      const dir = await this.certsDir();
      const extra = [...(this.options.ca ?? []), ...(await readCaFiles(this.options.caFiles ?? [])), ...dir.ca];
      return new Agent({
        connect: { ...tlsTrust(this.insecure, extra, dir.cert !== undefined), cert: dir.cert, key: dir.key },
        // Registries and blob stores can be slow to start a body; undici's
        // defaults (300 s) stay, but keep-alive lets parallel blobs share sockets.
        connections: 16,
      });
    })();
    return this.dispatcher;
  }

  /**
   * `<certs.d>/<host:port>/`: `*.crt` are CAs, a `*.cert` with its `*.key`
   * is a client certificate (mutual TLS), as dockerd reads them.
   */
  private async certsDir(): Promise<{ ca: string[]; cert?: string[]; key?: string[] }> {
    const dirs = this.options.certsDirs ?? ['/etc/docker/certs.d', '/etc/berth/certs.d'];
    const out: { ca: string[]; cert?: string[]; key?: string[] } = { ca: [] };
    for (const dir of dirs) {
      const hostDir = path.join(dir, this.registry.replace(/[/\\]/g, '_'));
      let names: string[];
      try {
        names = (await fs.readdir(hostDir)).sort();
      } catch {
        continue;
      }
      for (const name of names) {
        const file = path.join(hostDir, name);
        if (name.endsWith('.crt')) out.ca.push(await fs.readFile(file, 'utf8'));
        if (name.endsWith('.cert')) {
          const keyFile = file.replace(/\.cert$/, '.key');
          let key: string;
          try {
            key = await fs.readFile(keyFile, 'utf8');
          } catch {
            throw new BerthError('ERR_BERTH_CERTS_D', `${file}: client certificate without ${path.basename(keyFile)}`);
          }
          (out.cert ??= []).push(await fs.readFile(file, 'utf8'));
          (out.key ??= []).push(key);
        }
      }
    }
    return out;
  }

  private credentials(): Promise<Credentials | undefined> {
    this.creds ??= this.options.credentials?.get(this.registry) ?? Promise.resolve(undefined);
    return this.creds;
  }

  /** GET /v2/ once: learns the scheme (HTTPS, or HTTP for insecure registries) and the auth challenge. */
  private ping(): Promise<void> {
    this.pinged ??= (async () => {
      const schemes = this.insecure ? ['https', 'http'] : ['https'];
      let lastErr: unknown;
      for (const scheme of schemes) {
        const origin = `${scheme}://${this.apiHost}`;
        try {
          const res = await this.withRetries({ method: 'GET', path: '/v2/', scopes: [] }, () =>
            this.raw(new URL('/v2/', origin), 'GET', {}, undefined),
          );
          await res.body.dump();
          this.origin = origin;
          if (res.statusCode === 401) this.challenge = pickChallenge(header(res, 'www-authenticate'));
          return;
        } catch (err) {
          lastErr = err;
          const text = `${(err as { code?: string }).code ?? ''} ${(err as Error).message}`;
          if (!(scheme === 'https' && this.insecure && TLS_FALLBACK_ERRORS.test(text))) break;
        }
      }
      this.pinged = undefined; // let a later call try again
      throw new RegistryError(
        `cannot reach registry ${this.registry}: ${(lastErr as Error)?.message ?? lastErr}`,
        0,
        [{ code: 'UNREACHABLE', message: String((lastErr as Error)?.message ?? lastErr) }],
      );
    })();
    return this.pinged;
  }

  /** The base URL (`https://host`), after the first request has chosen it. */
  async baseUrl(): Promise<string> {
    await this.ping();
    return this.origin as string;
  }

  private async authorization(
    challenge: Challenge | undefined,
    scopes: readonly string[],
    fresh = false,
  ): Promise<string | undefined> {
    if (!challenge) return undefined;
    const creds = await this.credentials();
    if (challenge.scheme === 'basic') return creds ? basicAuth(creds) : undefined;
    if (challenge.scheme === 'bearer') {
      return `Bearer ${await this.tokens.token(challenge, scopes, creds, await this.agent(), fresh)}`;
    }
    return undefined;
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    await this.ping();
    const res = await this.withRetries(req, () => this.send(req));
    if (res.statusCode < 300 || req.accept?.includes(res.statusCode)) return res;
    throw await registryError(res, req.what ?? `${req.method} ${res.url.pathname}`);
  }

  /**
   * A blob GET read into pooled memory (direct.ts) from a plain-HTTP registry.
   * Undefined when that does not apply, the connection fails, or the answer
   * is anything but a 200/206 with a length: the caller then goes through
   * `request`, which knows auth challenges, redirects and retries.
   */
  async directGet(req: TransportRequest): Promise<DirectResponse | undefined> {
    await this.ping();
    if (this.options.directBlobs === false || this.directOff || !this.origin?.startsWith('http:')) return undefined;
    const url = new URL(req.path, this.origin);
    if (url.origin !== this.origin) return undefined;
    const auth = await this.authorization(this.challenge, req.scopes);
    let res: DirectResponse;
    try {
      res = await directGet(url, { 'user-agent': this.options.userAgent ?? 'berth/0.1', ...withAuth(req.headers, auth) }, this.options.signal);
    } catch (err) {
      if (this.options.signal?.aborted) throw err;
      return undefined;
    }
    if (res.length !== undefined) return res;
    res.close();
    // A registry that redirects blobs or sends them chunked does so every time: stop asking it
    // twice. Errors (an expired token's 401, a 5xx) may pass.
    if (res.statusCode < 400) this.directOff = true;
    return undefined;
  }

  private async withRetries(req: TransportRequest, attempt: () => Promise<TransportResponse>): Promise<TransportResponse> {
    const retries = req.retry === false ? 0 : (this.options.retries ?? 5);
    const base = this.options.retryDelayMs ?? 200;
    for (let i = 0; ; i++) {
      let res: TransportResponse;
      try {
        res = await attempt();
      } catch (err) {
        if (i < retries && isRetryableError(err) && !this.options.signal?.aborted) {
          await sleep(backoff(base, i), this.options.signal);
          continue;
        }
        throw err;
      }
      if (i < retries && RETRY_STATUS.has(res.statusCode) && !req.accept?.includes(res.statusCode)) {
        const after = retryAfterMs(header(res, 'retry-after'), this.options.maxRetryAfterMs ?? 60_000);
        await res.body.dump();
        await sleep(after ?? backoff(base, i), this.options.signal);
        continue;
      }
      return res;
    }
  }

  private async send(req: TransportRequest): Promise<TransportResponse> {
    const url = new URL(req.path, this.origin);
    // Credentials belong to the registry's origin: an upload Location on
    // another host gets none.
    if (url.origin !== this.origin) return this.followRedirects(await this.raw(url, req.method, req.headers, req.body), req, undefined);
    let auth = await this.authorization(this.challenge, req.scopes);
    let res = await this.raw(url, req.method, withAuth(req.headers, auth), req.body);
    if (res.statusCode === 401) {
      const challenge = pickChallenge(header(res, 'www-authenticate'));
      await res.body.dump();
      if (!challenge) throw await authFailure(this.registry, req);
      // The registry may ask for more than we requested (scope upgrade) or
      // report insufficient_scope: ask for the union once and retry.
      const scopes = [...req.scopes];
      if (challenge.params.scope) scopes.push(...challenge.params.scope.split(' '));
      this.challenge = challenge;
      // A fresh token: the cached one may have been revoked or expired early.
      auth = await this.authorization(challenge, scopes, true);
      if (!auth) throw await authFailure(this.registry, req);
      res = await this.raw(url, req.method, withAuth(req.headers, auth), req.body);
    }
    return this.followRedirects(res, req, auth);
  }

  private async followRedirects(
    res: TransportResponse,
    req: TransportRequest,
    auth: string | undefined,
  ): Promise<TransportResponse> {
    for (let hops = 0; hops < 10; hops++) {
      const location = header(res, 'location');
      if (![301, 302, 303, 307, 308].includes(res.statusCode) || !location || req.method === 'POST' || req.method === 'PATCH') {
        return res;
      }
      // Uploads answer 202 with Location; only real redirects get here.
      if (req.method === 'PUT' && res.statusCode !== 307 && res.statusCode !== 308) return res;
      await res.body.dump();
      const next = new URL(location, res.url);
      const sameOrigin = next.origin === this.origin;
      const method = res.statusCode === 303 ? 'GET' : req.method;
      res = await this.raw(next, method, withAuth(req.headers, sameOrigin ? auth : undefined), method === req.method ? req.body : undefined);
    }
    throw new RegistryError(`${req.what ?? req.path}: too many redirects`, res.statusCode, []);
  }

  private async raw(
    url: URL,
    method: string,
    headers: Record<string, string> | undefined,
    body: TransportRequest['body'],
  ): Promise<TransportResponse> {
    const res = await request(url, {
      method: method as Dispatcher.HttpMethod,
      headers: { 'user-agent': this.options.userAgent ?? 'berth/0.1', ...headers },
      // undici takes async iterables too (its types omit them).
      body: body?.() as Buffer | string | Readable | undefined,
      dispatcher: await this.agent(),
      signal: this.options.signal,
    });
    return { statusCode: res.statusCode, headers: res.headers, body: res.body, url };
  }

  async close(): Promise<void> {
    // an agent that failed to build (unreadable CA file) was reported by the request that needed it
    const agent = await this.dispatcher?.catch(() => undefined);
    await agent?.close();
  }
}

function withAuth(headers: Record<string, string> | undefined, auth: string | undefined): Record<string, string> {
  return auth ? { ...headers, authorization: auth } : { ...headers };
}

function pickChallenge(value: string | undefined): Challenge | undefined {
  if (!value) return undefined;
  const all = parseWwwAuthenticate(value);
  return all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic');
}

async function authFailure(registry: string, req: TransportRequest): Promise<AuthError> {
  return new AuthError(`${req.what ?? req.path}: ${registry} requires authentication; run \`berth login ${registry}\``);
}

function backoff(base: number, attempt: number): number {
  const d = Math.min(base * 2 ** attempt, 10_000);
  return d / 2 + Math.random() * (d / 2);
}

/** Retry-After as delta-seconds or an HTTP date; capped so a bad server cannot park us. */
export function retryAfterMs(value: string | undefined, max: number): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  let ms: number;
  if (Number.isFinite(secs)) ms = secs * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - Date.now();
  }
  return Math.min(Math.max(ms, 0), max);
}

/** Turns an error response into a RegistryError carrying the registry's codes. */
export async function registryError(res: TransportResponse, what: string): Promise<RegistryError> {
  let errors: RegistryErrorDetail[] = [];
  let text = '';
  try {
    text = (await res.body.text()).slice(0, 4096);
    const parsed = JSON.parse(text) as { errors?: RegistryErrorDetail[] };
    if (Array.isArray(parsed.errors)) errors = parsed.errors.filter((e) => typeof e?.code === 'string');
  } catch {
    // Not JSON (a proxy's HTML page): the status says enough.
  }
  const rateLimit: RateLimit | undefined =
    header(res, 'ratelimit-limit') !== undefined
      ? { limit: header(res, 'ratelimit-limit'), remaining: header(res, 'ratelimit-remaining') }
      : undefined;
  const detail = errors.length
    ? errors.map((e) => `${e.code}${e.message ? `: ${e.message}` : ''}`).join('; ')
    : `HTTP ${res.statusCode}`;
  let message = `${what}: ${detail}`;
  if (rateLimit) message += ` (rate limit ${rateLimit.limit ?? '?'}, remaining ${rateLimit.remaining ?? '?'})`;
  return new RegistryError(message, res.statusCode, errors, rateLimit);
}
