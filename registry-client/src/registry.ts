import type { Readable } from 'node:stream';
import { BerthError } from '@berth/spec';
import type { BlobWriter } from './content';
import { digestAlgorithm, digestOf, hasherFor, checkDigest } from './digest';
import { DigestMismatchError, RegistryError, SizeMismatchError, UnsupportedManifestError } from './errors';
import { RegistryTransport, header, isRetryableError, sleep, type TransportOptions } from './transport';
import { TokenCache } from './auth';
import { MANIFEST_ACCEPT, isSchema1MediaType, type Descriptor, type ImageIndex } from './types';

/** Per-blob progress, for a tool to draw bars. */
export interface ProgressEvent {
  digest: string;
  state: 'waiting' | 'exists' | 'mounted' | 'downloading' | 'uploading' | 'retrying' | 'done';
  done: number;
  total: number;
}
export type ProgressListener = (event: ProgressEvent) => void;

/** A manifest or index as the registry returned it, verified. */
export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
  size: number;
}

export interface ClientOptions extends TransportOptions {
  /**
   * Pull-through mirrors for docker.io, tried in order before Docker Hub
   * (dockerd's `registry-mirrors`): `mirror.example.com`, `https://host:5000`.
   * An `http://` mirror is reached over plain HTTP.
   */
  mirrors?: readonly string[];
  /** Resume attempts for one blob after a dropped connection (default 5). */
  blobResumes?: number;
}

/** Distribution's manifest size limit; larger answers are refused rather than buffered. */
const MAX_MANIFEST = 4 << 20;
const TAG = /^\w[\w.-]{0,127}$/;

/**
 * A client for any number of registries. Holds one transport (connections,
 * tokens) per registry and remembers which repository each blob was seen in,
 * so pushes can mount instead of upload.
 */
export class RegistryClient {
  readonly options: ClientOptions;
  private readonly transports = new Map<string, RegistryTransport>();
  private readonly tokens: TokenCache;
  /** `registry digest` → a repository known to hold it. */
  readonly blobLocations = new Map<string, string>();

  constructor(options: ClientOptions = {}) {
    const mirrorHosts = (options.mirrors ?? []).filter((m) => m.startsWith('http://')).map(mirrorHost);
    this.options = mirrorHosts.length
      ? { ...options, insecureRegistries: [...(options.insecureRegistries ?? []), ...mirrorHosts] }
      : options;
    this.tokens = options.tokenCache ?? new TokenCache();
  }

  transport(registry: string): RegistryTransport {
    let t = this.transports.get(registry);
    if (!t) {
      t = new RegistryTransport(registry, { ...this.options, tokenCache: this.tokens });
      this.transports.set(registry, t);
    }
    return t;
  }

  /**
   * A repository handle. With `push`, every request asks for a pull,push
   * token, so a push needs one token rather than a pull one and then another.
   */
  repository(registry: string, name: string, options: { push?: boolean } = {}): Repository {
    return new Repository(this, this.transport(registry), name, options.push ?? false);
  }

  /** The registries to try for a repository of `registry`: its mirrors first, for docker.io. */
  candidates(registry: string): string[] {
    return registry === 'docker.io' ? [...(this.options.mirrors ?? []).map(mirrorHost), registry] : [registry];
  }

  /**
   * Checks credentials against a registry (the way `docker login` does: an
   * authenticated GET /v2/, through the token server if there is one)
   * without storing them.
   */
  async checkLogin(registry: string, credentials: import('./docker-config').Credentials): Promise<void> {
    const probe = new RegistryTransport(registry, { ...this.options, credentials: { get: async () => credentials }, tokenCache: new TokenCache() });
    try {
      const res = await probe.request({ method: 'GET', path: '/v2/', scopes: [], what: `login to ${registry}`, retry: false });
      await res.body.dump();
    } finally {
      await probe.close();
    }
  }

  /** `GET /v2/_catalog`, following pagination. */
  async catalog(registry: string, options: { pageSize?: number } = {}): Promise<string[]> {
    return paginate(this.transport(registry), '/v2/_catalog', 'repositories', ['registry:catalog:*'], options.pageSize, 'catalog');
  }

  async close(): Promise<void> {
    await Promise.all([...this.transports.values()].map((t) => t.close()));
    this.transports.clear();
  }
}

async function paginate(
  transport: RegistryTransport,
  start: string,
  field: 'tags' | 'repositories',
  scopes: string[],
  pageSize: number | undefined,
  what: string,
): Promise<string[]> {
  const out: string[] = [];
  let next: string | undefined = pageSize ? `${start}?n=${pageSize}` : start;
  while (next) {
    const res = await transport.request({ method: 'GET', path: next, scopes, what });
    const body = (await res.body.json()) as Record<string, string[] | null | undefined>;
    out.push(...(body[field] ?? []));
    // RFC 5988: `</v2/x/tags/list?n=2&last=b>; rel="next"`.
    const link = header(res, 'link');
    const m = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
    next = m ? m[1] : undefined;
  }
  return out;
}

export class Repository {
  constructor(
    readonly client: RegistryClient,
    readonly transport: RegistryTransport,
    readonly name: string,
    private readonly forPush = false,
  ) {}

  get registry(): string {
    return this.transport.registry;
  }

  private get pull(): string[] {
    return [`repository:${this.name}:${this.forPush ? 'pull,push' : 'pull'}`];
  }

  private get push(): string[] {
    return [`repository:${this.name}:pull,push`];
  }

  private path(kind: 'manifests' | 'blobs' | 'tags' | 'referrers', ref = ''): string {
    // Only a valid tag or digest goes into the URL, so ':' can stay as registries expect.
    if (kind !== 'tags') {
      if (ref.includes(':')) checkDigest(ref);
      else if (!TAG.test(ref)) throw new BerthError('ERR_BERTH_INVALID_REFERENCE', `invalid tag ${JSON.stringify(ref)}`);
    }
    return `/v2/${this.name}/${kind}/${kind === 'tags' ? 'list' : ref}`;
  }

  /** HEAD a manifest: its descriptor, or undefined when the registry does not have it. */
  async headManifest(ref: string): Promise<Descriptor | undefined> {
    const res = await this.transport.request({
      method: 'HEAD',
      path: this.path('manifests', ref),
      headers: { accept: MANIFEST_ACCEPT.join(', ') },
      scopes: this.pull,
      accept: [404],
      what: `manifest ${this.name}:${ref}`,
    });
    await res.body.dump();
    if (res.statusCode === 404) return undefined;
    const digest = header(res, 'docker-content-digest');
    const mediaType = header(res, 'content-type');
    const size = Number(header(res, 'content-length'));
    if (!digest || !mediaType || !Number.isFinite(size)) return undefined;
    return { mediaType: mediaType.split(';')[0].trim(), digest, size };
  }

  /** GET a manifest by tag or digest, verified against the digest it was asked by or announced with. */
  async getManifest(ref: string, accept: readonly string[] = MANIFEST_ACCEPT): Promise<FetchedManifest> {
    const what = `manifest ${this.name}${ref.includes(':') ? '@' : ':'}${ref}`;
    const res = await this.transport.request({
      method: 'GET',
      path: this.path('manifests', ref),
      headers: { accept: accept.join(', ') },
      scopes: this.pull,
      what,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_MANIFEST) {
        discard(res.body);
        throw new UnsupportedManifestError(`${what}: larger than ${MAX_MANIFEST} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    const bytes = Buffer.concat(chunks);
    let mediaType = (header(res, 'content-type') ?? '').split(';')[0].trim();
    let parsed: { mediaType?: unknown; schemaVersion?: unknown };
    try {
      parsed = JSON.parse(bytes.toString('utf8')) as typeof parsed;
    } catch {
      throw new UnsupportedManifestError(`${what}: not JSON`);
    }
    if (typeof parsed.mediaType === 'string') mediaType = parsed.mediaType;
    if (isSchema1MediaType(mediaType) || parsed.schemaVersion === 1) {
      throw new UnsupportedManifestError(
        `${what}: Docker schema 1 manifests are not supported (deprecated since 2017); push the image again with a current client`,
      );
    }
    let digest: string;
    if (ref.includes(':')) {
      checkDigest(ref, what);
      digest = digestOf(bytes, digestAlgorithm(ref));
      if (digest !== ref) throw new DigestMismatchError(ref, digest, what);
    } else {
      digest = digestOf(bytes);
    }
    const announced = header(res, 'docker-content-digest');
    if (announced && announced.startsWith('sha256:') && announced !== digestOf(bytes)) {
      throw new DigestMismatchError(announced, digestOf(bytes), `${what} (Docker-Content-Digest)`);
    }
    return { bytes, mediaType, digest, size: bytes.length };
  }

  /** PUT a manifest under a tag or its digest; returns its digest. */
  async putManifest(ref: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.transport.request({
      method: 'PUT',
      path: this.path('manifests', ref),
      headers: { 'content-type': mediaType },
      body: () => bytes,
      scopes: this.push,
      what: `push manifest ${this.name}:${ref}`,
    });
    await res.body.dump();
    const digest = digestOf(bytes);
    const announced = header(res, 'docker-content-digest');
    if (announced && announced !== digest) throw new DigestMismatchError(digest, announced, `pushed manifest ${this.name}:${ref}`);
    return digest;
  }

  async deleteManifest(digest: string): Promise<void> {
    checkDigest(digest);
    const res = await this.transport.request({
      method: 'DELETE',
      path: this.path('manifests', digest),
      scopes: [`repository:${this.name}:delete`],
      what: `delete manifest ${this.name}@${digest}`,
    });
    await res.body.dump();
  }

  /** Size of a blob the registry has, or undefined. */
  async headBlob(digest: string): Promise<number | undefined> {
    const res = await this.transport.request({
      method: 'HEAD',
      path: this.path('blobs', checkDigest(digest)),
      scopes: this.pull,
      accept: [404],
      what: `blob ${digest}`,
    });
    await res.body.dump();
    return res.statusCode === 404 ? undefined : Number(header(res, 'content-length'));
  }

  /**
   * Streams a blob into `writer`, hashing as it goes; resumes with Range after
   * a dropped connection. Throws (and aborts the writer) unless size and digest match.
   */
  async fetchBlob(desc: Descriptor, writer: BlobWriter, onProgress?: ProgressListener): Promise<void> {
    const what = `blob ${desc.digest} of ${this.name}`;
    let hash = hasherFor(desc.digest);
    let received = 0;
    const resumes = this.client.options.blobResumes ?? 5;
    try {
      for (let attempt = 0; ; attempt++) {
        const res = await this.transport.request({
          method: 'GET',
          path: this.path('blobs', checkDigest(desc.digest)),
          headers: received > 0 ? { range: `bytes=${received}-` } : undefined,
          scopes: this.pull,
          what,
        });
        const announced = header(res, 'docker-content-digest');
        if (announced && announced !== desc.digest) {
          discard(res.body);
          throw new DigestMismatchError(desc.digest, announced, `${what} (Docker-Content-Digest)`);
        }
        if (received > 0 && res.statusCode !== 206) {
          // The server ignored Range: start over.
          hash = hasherFor(desc.digest);
          received = 0;
          await writer.truncate();
        }
        try {
          for await (const chunk of res.body) {
            const buf = chunk as Buffer;
            received += buf.length;
            if (received > desc.size) {
              discard(res.body);
              throw new SizeMismatchError(what, desc.size, received);
            }
            hash.update(buf);
            await writer.write(buf);
            onProgress?.({ digest: desc.digest, state: 'downloading', done: received, total: desc.size });
          }
          break;
        } catch (err) {
          const cancelled = this.transport.signal?.aborted;
          if (!cancelled && attempt < resumes && (isRetryableError(err) || isAborted(err))) {
            onProgress?.({ digest: desc.digest, state: 'retrying', done: received, total: desc.size });
            await sleep(Math.min(100 * 2 ** attempt, 2000), this.transport.signal);
            continue;
          }
          throw err;
        }
      }
      if (received !== desc.size) throw new SizeMismatchError(what, desc.size, received);
      const actual = `${digestAlgorithm(desc.digest)}:${hash.digest('hex')}`;
      if (actual !== desc.digest) throw new DigestMismatchError(desc.digest, actual, what);
      await writer.commit();
      this.client.blobLocations.set(`${this.registry} ${desc.digest}`, this.name);
      onProgress?.({ digest: desc.digest, state: 'done', done: received, total: desc.size });
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }

  /** A small blob (a config) into memory, verified. */
  async fetchBlobBytes(desc: Descriptor): Promise<Buffer> {
    const chunks: Buffer[] = [];
    await this.fetchBlob(desc, {
      write: async (c) => void chunks.push(c),
      truncate: async () => void chunks.splice(0),
      commit: async () => undefined,
      abort: async () => undefined,
    });
    return Buffer.concat(chunks);
  }

  /**
   * Makes sure the registry has a blob: HEAD (skip), cross-repository mount
   * when the blob is known elsewhere on this registry, else upload it
   * monolithically or in chunks (falling back to monolithic when the
   * registry refuses PATCH).
   */
  async uploadBlob(
    desc: Descriptor,
    open: (start: number) => Readable,
    options: { chunkSize?: number; mountFrom?: string; onProgress?: ProgressListener } = {},
  ): Promise<'exists' | 'mounted' | 'uploaded'> {
    const progress = (state: ProgressEvent['state'], done: number): void =>
      options.onProgress?.({ digest: desc.digest, state, done, total: desc.size });
    if ((await this.headBlob(desc.digest)) !== undefined) {
      progress('exists', desc.size);
      return 'exists';
    }
    const from = options.mountFrom ?? this.client.blobLocations.get(`${this.registry} ${desc.digest}`);
    let session: UploadSession;
    if (from && from !== this.name) {
      const res = await this.transport.request({
        method: 'POST',
        path: `/v2/${this.name}/blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(from)}`,
        scopes: [...this.push, `repository:${from}:pull`],
        what: `mount blob ${desc.digest} from ${from}`,
      });
      await res.body.dump();
      if (res.statusCode === 201) {
        this.remember(desc.digest);
        progress('mounted', desc.size);
        return 'mounted';
      }
      session = this.session(res, desc);
    } else {
      session = await this.startUpload(desc);
    }
    if (options.chunkSize) {
      const chunkSize = Math.max(options.chunkSize, session.minChunk);
      const done = await this.uploadChunks(desc, session.location, open, chunkSize, progress);
      if (done) return 'uploaded';
      session = await this.startUpload(desc); // registry refused PATCH: start afresh
    }
    for (let sessions = 1; ; sessions++) {
      try {
        const res = await this.transport.request({
          method: 'PUT',
          path: withDigest(session.location, desc.digest),
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
          body: () => open(0),
          scopes: this.push,
          what: `upload blob ${desc.digest}`,
        });
        await res.body.dump();
        break;
      } catch (err) {
        // A PUT cut off half-way can leave the session unusable: start a new one.
        const stale = err instanceof RegistryError && ['BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_INVALID'].includes(err.registryCode);
        if (sessions >= 3 || !(stale || isRetryableError(err))) throw err;
        session = await this.startUpload(desc);
      }
    }
    this.remember(desc.digest);
    progress('done', desc.size);
    return 'uploaded';
  }

  private remember(digest: string): void {
    this.client.blobLocations.set(`${this.registry} ${digest}`, this.name);
  }

  private async startUpload(desc: Descriptor): Promise<UploadSession> {
    const res = await this.transport.request({
      method: 'POST',
      path: `/v2/${this.name}/blobs/uploads/`,
      scopes: this.push,
      what: `start upload of ${desc.digest} to ${this.name}`,
    });
    await res.body.dump();
    return this.session(res, desc);
  }

  /** Where an upload continues, and the smallest chunk the registry takes (OCI-Chunk-Min-Length). */
  private session(res: { headers: Record<string, string | string[] | undefined>; url: URL }, desc: Descriptor): UploadSession {
    const min = Number(header(res, 'oci-chunk-min-length'));
    return { location: this.uploadLocation(res, desc), minChunk: Number.isFinite(min) && min > 0 ? min : 0 };
  }

  private uploadLocation(res: { headers: Record<string, string | string[] | undefined>; url: URL }, desc: Descriptor): string {
    const loc = header(res, 'location');
    if (!loc) throw new RegistryError(`upload of ${desc.digest} to ${this.name}: registry gave no Location`, 0, []);
    return new URL(loc, res.url).toString();
  }

  /**
   * PATCH the blob in chunks. Returns false when the registry does not do
   * chunked uploads (the caller falls back to one PUT); on 416 asks the
   * upload's status and continues from where the registry says it is.
   */
  private async uploadChunks(
    desc: Descriptor,
    location: string,
    open: (start: number) => Readable,
    chunkSize: number,
    progress: (state: ProgressEvent['state'], done: number) => void,
  ): Promise<boolean> {
    let offset = 0;
    let recoveries = 0;
    while (offset < desc.size) {
      const end = Math.min(offset + chunkSize, desc.size);
      const chunk = await readRange(open, offset, end);
      const res = await this.transport.request({
        method: 'PATCH',
        path: location,
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${end - 1}`,
          'content-length': String(chunk.length),
        },
        body: () => chunk,
        scopes: this.push,
        accept: [404, 405, 416, 501],
        what: `upload chunk ${offset}-${end - 1} of ${desc.digest}`,
      });
      await res.body.dump();
      if (res.statusCode === 416 && recoveries++ < 3) {
        const status = await this.transport.request({ method: 'GET', path: location, scopes: this.push, what: `upload status of ${desc.digest}` });
        await status.body.dump();
        location = this.uploadLocation(status, desc);
        offset = rangeEnd(header(status, 'range'));
        continue;
      }
      if (res.statusCode >= 400) return false;
      // OCI-Chunk-Min-Length: the registry wants bigger chunks than ours.
      const min = Number(header(res, 'oci-chunk-min-length'));
      if (Number.isFinite(min) && min > chunkSize) chunkSize = min;
      location = this.uploadLocation(res, desc);
      const acknowledged = rangeEnd(header(res, 'range'));
      offset = acknowledged > 0 ? acknowledged : end;
      progress('uploading', offset);
    }
    const res = await this.transport.request({
      method: 'PUT',
      path: withDigest(location, desc.digest),
      headers: { 'content-length': '0' },
      scopes: this.push,
      what: `finish upload of ${desc.digest}`,
    });
    await res.body.dump();
    this.remember(desc.digest);
    progress('done', desc.size);
    return true;
  }

  /** All tags, following `Link` pagination; `pageSize` sets `n`. */
  async tags(options: { pageSize?: number } = {}): Promise<string[]> {
    return paginate(this.transport, this.path('tags'), 'tags', this.pull, options.pageSize, `tags of ${this.name}`);
  }

  /**
   * Manifests that name `digest` as their subject: the referrers API, or the
   * `sha256-<hex>` tag schema when the registry lacks it (distribution 2.8 does).
   */
  async referrers(digest: string, artifactType?: string): Promise<ImageIndex> {
    checkDigest(digest);
    const q = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const res = await this.transport.request({
      method: 'GET',
      path: this.path('referrers', digest) + q,
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
      scopes: this.pull,
      accept: [404],
      what: `referrers of ${digest}`,
    });
    const ctype = header(res, 'content-type') ?? '';
    if (res.statusCode === 200 && ctype.includes('application/vnd.oci.image.index.v1+json')) {
      const index = (await res.body.json()) as ImageIndex;
      if (artifactType && !header(res, 'oci-filters-applied')?.includes('artifactType')) {
        index.manifests = index.manifests.filter((m) => m.artifactType === artifactType);
      }
      return index;
    }
    await res.body.dump();
    const tag = digest.replace(':', '-');
    const empty: ImageIndex = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };
    if (!(await this.headManifest(tag))) return empty;
    const fetched = await this.getManifest(tag);
    const index = JSON.parse(fetched.bytes.toString('utf8')) as ImageIndex;
    if (artifactType) index.manifests = index.manifests.filter((m) => m.artifactType === artifactType);
    return index;
  }
}

interface UploadSession {
  location: string;
  minChunk: number;
}

function mirrorHost(mirror: string): string {
  return mirror.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

function isAborted(err: unknown): boolean {
  const e = err as { code?: string; name?: string };
  return e?.code === 'UND_ERR_ABORTED' || e?.name === 'AbortError' || e?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url.toString();
}

/**
 * `Range: 0-1023` → 1024 (the next byte the registry expects). Distribution
 * reports an empty upload as `0-0`, so that reads as nothing received.
 */
function rangeEnd(value: string | undefined): number {
  const m = value && /(\d+)-(\d+)/.exec(value);
  if (!m || (m[1] === '0' && m[2] === '0')) return 0;
  return Number(m[2]) + 1;
}

async function readRange(open: (start: number) => Readable, start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  const stream = open(start);
  for await (const c of stream) {
    const buf = c as Buffer;
    const take = Math.min(buf.length, end - start - got);
    chunks.push(buf.subarray(0, take));
    got += take;
    if (got >= end - start) break;
  }
  stream.destroy();
  return Buffer.concat(chunks);
}

/** Drops a response body we will not read; its abort error is expected and not reported. */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}
