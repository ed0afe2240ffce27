import type { Readable } from 'node:stream';
import { BerthError } from '@berth/spec';
import type { BlobWriter } from './content';
import { WritePipe, pump } from './blocks';
import { digestAlgorithm, digestOf, checkDigest } from './digest';
import { createStreamHash, type OffThread, type StreamHash } from './hasher';
import { DigestMismatchError, SizeMismatchError, UnsupportedManifestError } from './errors';
import { RegistryTransport, header, isRetryableError, sleep, type TransportOptions, type TransportRequest, type TransportResponse } from './transport';
import type { ChunkHandler } from './direct';
import { TokenCache } from './auth';
import type { Credentials } from './docker-config';
import { uploadBlob, type UploadOptions } from './upload';
import { MANIFEST_ACCEPT, isSchema1MediaType, type Descriptor, type ImageIndex } from './types';

export type { OffThread } from './hasher';

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
  /** Hash big blobs on a worker thread: always, never, or while two cores are free (default `auto`). */
  hashOffThread?: OffThread;
}

/** Bytes of a pooled download (direct.ts) read but not yet written before the socket pauses. */
const POOLED_QUEUE_BYTES = 1 << 20;
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
  async checkLogin(registry: string, credentials: Credentials): Promise<void> {
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

  /** Token scopes for reading (pull,push on a push handle). */
  get pullScopes(): string[] {
    return [`repository:${this.name}:${this.forPush ? 'pull,push' : 'pull'}`];
  }

  get pushScopes(): string[] {
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
      scopes: this.pullScopes,
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
      scopes: this.pullScopes,
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
      scopes: this.pushScopes,
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
      scopes: this.pullScopes,
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
    const algorithm = digestAlgorithm(desc.digest);
    // A sink that verifies on commit (the store) would make this a second pass over every byte.
    const newHash = (): StreamHash =>
      writer.verifies ? trustSink(desc.digest) : createStreamHash(algorithm, desc.size, this.client.options.hashOffThread);
    let hash = newHash();
    // Pooled reads hand each chunk's memory back once written, which only a writer that copies or writes at once allows.
    const pooled = writer.releasesChunks === true;
    const pipe = new WritePipe(writer, hash, pooled ? POOLED_QUEUE_BYTES : undefined);
    let received = 0;
    const resumes = this.client.options.blobResumes ?? 5;
    try {
      for (let attempt = 0; ; attempt++) {
        const req: TransportRequest = {
          method: 'GET',
          path: this.path('blobs', checkDigest(desc.digest)),
          headers: received > 0 ? { range: `bytes=${received}-` } : undefined,
          scopes: this.pullScopes,
          what,
        };
        const res = (pooled ? await this.transport.directGet(req) : undefined) ?? undiciBody(await this.transport.request(req));
        const announced = header(res, 'docker-content-digest');
        if (announced && announced !== desc.digest) {
          res.close();
          throw new DigestMismatchError(desc.digest, announced, `${what} (Docker-Content-Digest)`);
        }
        if (received > 0 && res.statusCode !== 206) {
          // The server ignored Range: start over.
          hash.dispose();
          hash = newHash();
          await pipe.restart(hash);
          received = 0;
          await writer.truncate();
        }
        try {
          await res.read((chunk, release) => {
            received += chunk.length;
            if (received > desc.size) {
              release();
              throw new SizeMismatchError(what, desc.size, received);
            }
            const wait = pipe.push(chunk, release);
            onProgress?.({ digest: desc.digest, state: 'downloading', done: received, total: desc.size });
            return wait;
          });
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
      await pipe.flush();
      if (received !== desc.size) throw new SizeMismatchError(what, desc.size, received);
      const actual = await hash.digest();
      if (actual !== desc.digest) throw new DigestMismatchError(desc.digest, actual, what);
      await writer.commit();
      this.rememberBlob(desc.digest);
      onProgress?.({ digest: desc.digest, state: 'done', done: received, total: desc.size });
    } catch (err) {
      hash.dispose();
      await pipe.settle();
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
   * Makes sure the registry has a blob: HEAD (skip), cross-repository mount,
   * or an upload (see upload.ts).
   */
  uploadBlob(
    desc: Descriptor,
    open: (start: number) => Readable,
    options: UploadOptions = {},
  ): Promise<'exists' | 'mounted' | 'uploaded'> {
    return uploadBlob(this, desc, open, options);
  }

  /** Records that this repository holds a blob, so later pushes elsewhere on the registry can mount it. */
  rememberBlob(digest: string): void {
    this.client.blobLocations.set(`${this.registry} ${digest}`, this.name);
  }

  /** All tags, following `Link` pagination; `pageSize` sets `n`. */
  async tags(options: { pageSize?: number } = {}): Promise<string[]> {
    return paginate(this.transport, this.path('tags'), 'tags', this.pullScopes, options.pageSize, `tags of ${this.name}`);
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
      scopes: this.pullScopes,
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


function mirrorHost(mirror: string): string {
  return mirror.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

function isAborted(err: unknown): boolean {
  const e = err as { code?: string; name?: string };
  return e?.code === 'UND_ERR_ABORTED' || e?.name === 'AbortError' || e?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}




/** A blob response body, from undici or read into pooled memory (direct.ts). */
interface BlobBody {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  read(onChunk: ChunkHandler): Promise<void>;
  close(): void;
}

function undiciBody(res: TransportResponse): BlobBody {
  const release = (): void => undefined; // undici's chunks are fresh memory, left to the GC
  return {
    statusCode: res.statusCode,
    headers: res.headers,
    read: (onChunk) => pump(res.body, (chunk) => onChunk(chunk, release)),
    close: () => discard(res.body),
  };
}

/** Drops a response body we will not read; its abort error is expected and not reported. */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** No hashing here: the sink verifies `digest` before it commits (BlobWriter.verifies). */
function trustSink(digest: string): StreamHash {
  return { update: () => undefined, digest: async () => digest, dispose: () => {} };
}
