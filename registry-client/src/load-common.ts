/** What the per-format loaders share: staged blobs, hashing, diffID checks. */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { isNonDistributableLayer, layerCompression } from '@berth/spec';
import { ArchiveError, DigestMismatchError } from './errors';
import { zstdDecompress } from './tar';
import { isIndexMediaType, isManifestMediaType, type Descriptor } from './types';

export interface LoadedImage {
  /** Full references the archive names the image by (`docker.io/library/busybox:latest`). */
  names: string[];
  /** The manifest (or index) stored for it. */
  descriptor: Descriptor;
}

/** A blob checked and ready to store: where its bytes are. */
export interface Staged {
  desc: Descriptor;
  file?: string;
  bytes?: Buffer;
}

export interface StagedImages {
  blobs: Map<string, Staged>;
  images: LoadedImage[];
}

export const isTopLevel = (mediaType: string): boolean => isManifestMediaType(mediaType) || isIndexMediaType(mediaType);

/** Hashes a file: its digest (with the algorithm of `like`) and size. */
export async function hashFile(file: string, like = 'sha256:'): Promise<{ digest: string; size: number }> {
  const alg = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  const h = createHash(alg);
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `${alg}:${h.digest('hex')}`, size };
}

/** sha256 of a layer's uncompressed tar: its diffID. */
export async function diffIdOf(file: string, compression: 'none' | 'gzip' | 'zstd', what: string): Promise<string> {
  const h = createHash('sha256');
  let stream: Readable = createReadStream(file, { highWaterMark: 1 << 20 });
  if (compression === 'gzip') stream = stream.pipe(zlib.createGunzip());
  else if (compression === 'zstd') stream = zstdDecompress(stream, what);
  try {
    for await (const chunk of stream) h.update(chunk as Buffer);
  } catch (err) {
    throw new ArchiveError(`${what}: cannot decompress (${(err as Error).message})`, { cause: err });
  }
  return `sha256:${h.digest('hex')}`;
}

export async function sniffCompression(file: string): Promise<'none' | 'gzip' | 'zstd'> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    if (bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && buf.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

export function diffIds(config: Buffer, what: string): string[] {
  let parsed: { rootfs?: { diff_ids?: unknown } };
  try {
    parsed = JSON.parse(config.toString('utf8')) as typeof parsed;
  } catch {
    throw new ArchiveError(`${what}: image config is not JSON`);
  }
  const ids = parsed.rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string')) {
    throw new ArchiveError(`${what}: image config has no rootfs.diff_ids`);
  }
  return ids as string[];
}

/**
 * Checks each layer's diffID against the config. A layer without a file is a
 * non-distributable one the archive does not carry (its descriptor and urls stay).
 */
export async function checkLayers(
  layers: { file?: string; desc: Descriptor }[],
  config: Buffer,
  what: string,
): Promise<void> {
  const ids = diffIds(config, what);
  if (ids.length !== layers.length) {
    throw new ArchiveError(`${what}: config lists ${ids.length} diff_ids but the image has ${layers.length} layers`);
  }
  for (const [i, layer] of layers.entries()) {
    if (layer.file === undefined) {
      if (isNonDistributableLayer(layer.desc.mediaType)) continue;
      throw new ArchiveError(`${what}: layer ${i} (${layer.desc.digest}) is missing from the archive`);
    }
    const declared = layerCompression(layer.desc.mediaType);
    const compression = declared ?? (await sniffCompression(layer.file));
    const actual = await diffIdOf(layer.file, compression, `${what} layer ${i} (${layer.desc.digest})`);
    if (actual !== ids[i]) throw new DigestMismatchError(ids[i], actual, `${what}: diffID of layer ${i} (${layer.desc.digest})`);
  }
}

