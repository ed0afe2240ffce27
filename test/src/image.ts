/**
 * A busybox image in memory: layers, config and manifest as bytes, with
 * their digests. The OCI layout and `docker save` writers lay these out on
 * disk; registry tests can push the blobs as they are.
 */
import { posix } from 'node:path';
import {
  OciMediaType,
  digestOf,
  hostPlatform,
  type Digest,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type ImagePlatform,
  type ImageTypes,
} from '@berth/spec';
import { busyboxRootfsEntries, type RootfsOptions } from './rootfs';
import { FIXTURE_CREATED, createTar, gzipDeterministic, type TarEntry } from './tar';

/** Files of an extra layer: path -> content (mode 0644, parents added), or explicit tar entries. */
export type FixtureLayerSpec = Readonly<Record<string, string | Uint8Array>> | readonly TarEntry[];

export interface FixtureImageOptions extends RootfsOptions {
  /** Layers on top of the busybox layer, in order. */
  readonly extraLayers?: readonly FixtureLayerSpec[];
  /** Merged over the default container config (`Cmd: ["sh"]`, a PATH in `Env`). */
  readonly config?: ImageTypes.Config;
  /** Platform written into the config (default linux and the host's architecture). */
  readonly platform?: ImagePlatform;
  /** Layer compression (default gzip). */
  readonly compression?: 'gzip' | 'none';
}

export interface FixtureLayer {
  /** Digest of the blob as stored (compressed if compressed). */
  readonly digest: Digest;
  /** Digest of the uncompressed tar, as listed in the config's rootfs.diff_ids. */
  readonly diffId: Digest;
  readonly size: number;
  readonly mediaType: string;
}

export interface FixtureImage {
  readonly manifestDigest: Digest;
  readonly manifestSize: number;
  readonly configDigest: Digest;
  readonly configSize: number;
  readonly layers: readonly FixtureLayer[];
  readonly manifest: ImageManifest;
  readonly config: ImageConfig;
}

export interface FixtureImageBlobs extends FixtureImage {
  readonly manifestBytes: Buffer;
  readonly configBytes: Buffer;
  /** Every blob (layers, config, manifest) by digest. */
  readonly blobs: ReadonlyMap<Digest, Buffer>;
  /** The uncompressed layer tarballs, base first. */
  readonly layerTars: readonly Buffer[];
}

// gzip of the busybox layer costs ~100 ms; fixtures are made many times per run
const gzipCache = new Map<Digest, Buffer>();

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Expands a record of files into sorted tar entries with their parent directories. */
export function layerEntries(spec: FixtureLayerSpec): TarEntry[] {
  if (Array.isArray(spec)) return [...(spec as readonly TarEntry[])];
  const entries = new Map<string, TarEntry>();
  for (const [rawPath, data] of Object.entries(spec as Readonly<Record<string, string | Uint8Array>>)) {
    const path = posix.normalize(rawPath).replace(/^\/+/, '');
    for (let d = posix.dirname(path); d !== '.'; d = posix.dirname(d)) {
      if (!entries.has(d)) entries.set(d, { type: 'dir', path: d, mode: 0o755 });
    }
    entries.set(path, { type: 'file', path, data, mode: 0o644 });
  }
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Builds the image deterministically; equal options give equal digests. */
export function buildFixtureImage(options: FixtureImageOptions = {}): FixtureImageBlobs {
  const gzip = (options.compression ?? 'gzip') === 'gzip';
  const specs: TarEntry[][] = [busyboxRootfsEntries(options), ...(options.extraLayers ?? []).map(layerEntries)];
  const blobs = new Map<Digest, Buffer>();
  const layerTars = specs.map((entries) => createTar(entries));
  const layers: FixtureLayer[] = layerTars.map((tar) => {
    const diffId = digestOf(tar);
    let blob = tar;
    if (gzip) {
      blob = gzipCache.get(diffId) ?? gzipDeterministic(tar);
      gzipCache.set(diffId, blob);
    }
    const digest = digestOf(blob);
    blobs.set(digest, blob);
    return {
      digest,
      diffId,
      size: blob.length,
      mediaType: gzip ? OciMediaType.LayerGzip : OciMediaType.Layer,
    };
  });

  const platform = options.platform ?? { os: 'linux', architecture: hostPlatform().architecture };
  const config: ImageConfig = {
    created: FIXTURE_CREATED,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: [PATH_ENV], Cmd: ['sh'], ...options.config },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({
      created: FIXTURE_CREATED,
      created_by: i === 0 ? 'berth test fixture: busybox root filesystem' : `berth test fixture: extra layer ${i}`,
    })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = digestOf(configBytes);
  blobs.set(configDigest, configBytes);

  const [first, ...rest] = layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size }));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OciMediaType.ImageManifest,
    config: { mediaType: OciMediaType.ImageConfig, digest: configDigest, size: configBytes.length },
    layers: [first as NonNullable<typeof first>, ...rest],
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = digestOf(manifestBytes);
  blobs.set(manifestDigest, manifestBytes);

  return {
    manifestDigest,
    manifestSize: manifestBytes.length,
    configDigest,
    configSize: configBytes.length,
    layers,
    manifest,
    config,
    manifestBytes,
    configBytes,
    blobs,
    layerTars,
  };
}

export interface FixtureIndexOptions extends Omit<FixtureImageOptions, 'platform'> {
  /**
   * One image per platform, listed in this order. Every image holds the same
   * (host) busybox: these fixtures exercise platform selection, not emulation.
   */
  readonly platforms: readonly ImagePlatform[];
}

export interface FixtureIndexBlobs {
  readonly indexDigest: Digest;
  readonly indexSize: number;
  readonly index: ImageIndex;
  readonly indexBytes: Buffer;
  /** The per-platform images, in the order of `platforms`. */
  readonly images: readonly FixtureImageBlobs[];
  /** Every blob of every image, and the index, by digest. */
  readonly blobs: ReadonlyMap<Digest, Buffer>;
}

/** Builds a multi-platform image: an OCI image index over one fixture image per platform. */
export function buildFixtureIndex(options: FixtureIndexOptions): FixtureIndexBlobs {
  const images = options.platforms.map((platform) => buildFixtureImage({ ...options, platform }));
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: OciMediaType.ImageIndex,
    manifests: images.map((image, i) => ({
      mediaType: OciMediaType.ImageManifest,
      digest: image.manifestDigest,
      size: image.manifestSize,
      platform: options.platforms[i] as ImagePlatform,
    })),
  };
  const indexBytes = Buffer.from(JSON.stringify(index));
  const indexDigest = digestOf(indexBytes);
  const blobs = new Map<Digest, Buffer>();
  for (const image of images) for (const [digest, data] of image.blobs) blobs.set(digest, data);
  blobs.set(indexDigest, indexBytes);
  return { indexDigest, indexSize: indexBytes.length, index, indexBytes, images, blobs };
}
