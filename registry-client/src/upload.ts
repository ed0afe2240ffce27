import type { Readable } from 'node:stream';
import { RegistryError } from './errors';
import type { Gate } from './gate';
import type { ProgressEvent, ProgressListener, Repository } from './registry';
import { header, isRetryableError } from './transport';
import type { Descriptor } from './types';

export interface UploadOptions {
  /** Upload in PATCH chunks of this many bytes instead of one PUT. */
  chunkSize?: number;
  /** A repository on the same registry to mount the blob from. */
  mountFrom?: string;
  onProgress?: ProgressListener;
  /**
   * Held only while the blob's bytes are sent: the HEAD and the POST that
   * opens the upload run outside it, so the next blobs are ready to send
   * the moment a transfer ends (each costs a registry round trip).
   */
  transferGate?: Gate;
  /**
   * The blob as chunks in reused memory, for the monolithic PUT (see
   * ContentSource.blobChunks); chunked uploads read through `open`.
   */
  chunks?: (start: number) => AsyncIterable<Buffer>;
}

interface UploadSession {
  location: string;
  /** OCI-Chunk-Min-Length: the smallest PATCH the registry takes. */
  minChunk: number;
}

type Progress = (state: ProgressEvent['state'], done: number) => void;

/**
 * Makes sure the registry has a blob: HEAD (skip), cross-repository mount
 * when the blob is known elsewhere on this registry, else upload it
 * monolithically or in chunks (falling back to monolithic when the
 * registry refuses PATCH).
 */
export async function uploadBlob(
  repo: Repository,
  desc: Descriptor,
  open: (start: number) => Readable,
  options: UploadOptions = {},
): Promise<'exists' | 'mounted' | 'uploaded'> {
  const progress: Progress = (state, done) => options.onProgress?.({ digest: desc.digest, state, done, total: desc.size });
  if ((await repo.headBlob(desc.digest)) !== undefined) {
    progress('exists', desc.size);
    return 'exists';
  }
  const from = options.mountFrom ?? repo.client.blobLocations.get(`${repo.registry} ${desc.digest}`);
  let session: UploadSession;
  if (from && from !== repo.name) {
    const res = await repo.transport.request({
      method: 'POST',
      path: `/v2/${repo.name}/blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(from)}`,
      scopes: [...repo.pushScopes, `repository:${from}:pull`],
      what: `mount blob ${desc.digest} from ${from}`,
    });
    await res.body.dump();
    if (res.statusCode === 201) {
      repo.rememberBlob(desc.digest);
      progress('mounted', desc.size);
      return 'mounted';
    }
    // 202: the registry could not mount and opened an upload instead.
    session = uploadSession(repo, res, desc);
  } else {
    session = await startUpload(repo, desc);
  }
  const send = (): Promise<void> => sendBlob(repo, desc, session, open, options, progress);
  await (options.transferGate ? options.transferGate.run(send) : send());
  return 'uploaded';
}

/** Sends the bytes into an open upload session: chunked when asked (falling back to one PUT), else one PUT. */
async function sendBlob(
  repo: Repository,
  desc: Descriptor,
  session: UploadSession,
  open: (start: number) => Readable,
  options: UploadOptions,
  progress: Progress,
): Promise<void> {
  if (options.chunkSize) {
    const chunkSize = Math.max(options.chunkSize, session.minChunk);
    if (await uploadChunks(repo, desc, session.location, open, chunkSize, progress)) return;
    session = await startUpload(repo, desc); // registry refused PATCH: start afresh
  }
  for (let sessions = 1; ; sessions++) {
    try {
      const res = await repo.transport.request({
        method: 'PUT',
        path: withDigest(session.location, desc.digest),
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
        body: () => options.chunks?.(0) ?? open(0),
        scopes: repo.pushScopes,
        what: `upload blob ${desc.digest}`,
      });
      await res.body.dump();
      break;
    } catch (err) {
      // A PUT cut off half-way can leave the session unusable: start a new one.
      const stale = err instanceof RegistryError && ['BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_INVALID'].includes(err.registryCode);
      if (sessions >= 3 || !(stale || isRetryableError(err))) throw err;
      session = await startUpload(repo, desc);
    }
  }
  repo.rememberBlob(desc.digest);
  progress('done', desc.size);
}

async function startUpload(repo: Repository, desc: Descriptor): Promise<UploadSession> {
  const res = await repo.transport.request({
    method: 'POST',
    path: `/v2/${repo.name}/blobs/uploads/`,
    scopes: repo.pushScopes,
    what: `start upload of ${desc.digest} to ${repo.name}`,
  });
  await res.body.dump();
  return uploadSession(repo, res, desc);
}

type Answer = { headers: Record<string, string | string[] | undefined>; url: URL };

function uploadSession(repo: Repository, res: Answer, desc: Descriptor): UploadSession {
  const min = Number(header(res, 'oci-chunk-min-length'));
  return { location: uploadLocation(repo, res, desc), minChunk: Number.isFinite(min) && min > 0 ? min : 0 };
}

function uploadLocation(repo: Repository, res: Answer, desc: Descriptor): string {
  const loc = header(res, 'location');
  if (!loc) throw new RegistryError(`upload of ${desc.digest} to ${repo.name}: registry gave no Location`, 0, []);
  return new URL(loc, res.url).toString();
}

/**
 * PATCHes the blob in chunks. Returns false when the registry does not do
 * chunked uploads (the caller falls back to one PUT); on 416 asks the
 * upload's status and continues from where the registry says it is.
 */
async function uploadChunks(
  repo: Repository,
  desc: Descriptor,
  location: string,
  open: (start: number) => Readable,
  chunkSize: number,
  progress: Progress,
): Promise<boolean> {
  let offset = 0;
  let recoveries = 0;
  while (offset < desc.size) {
    const end = Math.min(offset + chunkSize, desc.size);
    const chunk = await readRange(open, offset, end);
    const res = await repo.transport.request({
      method: 'PATCH',
      path: location,
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `${offset}-${end - 1}`,
        'content-length': String(chunk.length),
      },
      body: () => chunk,
      scopes: repo.pushScopes,
      accept: [404, 405, 416, 501],
      what: `upload chunk ${offset}-${end - 1} of ${desc.digest}`,
    });
    await res.body.dump();
    if (res.statusCode === 416 && recoveries++ < 3) {
      const status = await repo.transport.request({ method: 'GET', path: location, scopes: repo.pushScopes, what: `upload status of ${desc.digest}` });
      await status.body.dump();
      location = uploadLocation(repo, status, desc);
      offset = rangeEnd(header(status, 'range'));
      continue;
    }
    if (res.statusCode >= 400) return false;
    const min = Number(header(res, 'oci-chunk-min-length'));
    if (Number.isFinite(min) && min > chunkSize) chunkSize = min;
    location = uploadLocation(repo, res, desc);
    const acknowledged = rangeEnd(header(res, 'range'));
    offset = acknowledged > 0 ? acknowledged : end;
    progress('uploading', offset);
  }
  const res = await repo.transport.request({
    method: 'PUT',
    path: withDigest(location, desc.digest),
    headers: { 'content-length': '0' },
    scopes: repo.pushScopes,
    what: `finish upload of ${desc.digest}`,
  });
  await res.body.dump();
  repo.rememberBlob(desc.digest);
  progress('done', desc.size);
  return true;
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
