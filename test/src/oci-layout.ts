/**
 * Writes a fixture image as an OCI image layout (image-spec image-layout.md):
 * `oci-layout`, `blobs/sha256/<hex>`, and `index.json` naming the manifest
 * with `org.opencontainers.image.ref.name` = tag, as umoci and skopeo's
 * `oci:dir:tag` expect.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OciMediaType, imageIndex, parseDigest, type Digest, type ImageIndex } from '@berth/spec';
import {
  buildFixtureImage,
  buildFixtureIndex,
  type FixtureImage,
  type FixtureImageOptions,
  type FixtureIndexOptions,
} from './image';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export interface OciLayoutOptions extends FixtureImageOptions {
  /** The ref name in index.json (default `latest`). */
  readonly tag?: string;
}

export interface OciLayoutFixture extends FixtureImage {
  readonly dir: string;
  readonly tag: string;
}

/**
 * Writes the busybox image into the OCI layout at `dir` (created if needed).
 * If `dir` already is a layout, the image is added to its index.json and an
 * entry with the same tag is replaced, so several images can share a layout.
 */
export async function makeOciLayout(dir: string, options: OciLayoutOptions = {}): Promise<OciLayoutFixture> {
  const tag = options.tag ?? 'latest';
  const image = buildFixtureImage(options);
  const { config } = image;
  await writeLayout(dir, image.blobs, tag, {
    mediaType: OciMediaType.ImageManifest,
    digest: image.manifestDigest,
    size: image.manifestSize,
    platform: { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) },
  });
  const { manifestBytes: _m, configBytes: _c, blobs: _b, layerTars: _l, ...fixture } = image;
  return { ...fixture, dir, tag };
}

export interface OciIndexLayoutOptions extends FixtureIndexOptions {
  readonly tag?: string;
}

export interface OciIndexLayoutFixture {
  readonly dir: string;
  readonly tag: string;
  readonly indexDigest: Digest;
  readonly indexSize: number;
  readonly index: ImageIndex;
  /** The per-platform images, in the order of `platforms`. */
  readonly images: readonly FixtureImage[];
}

/**
 * Writes a multi-platform busybox image into the layout at `dir`: index.json
 * names (by tag) an image index blob, which lists one manifest per platform,
 * as `docker buildx --output type=oci` lays it out.
 */
export async function makeOciIndexLayout(dir: string, options: OciIndexLayoutOptions): Promise<OciIndexLayoutFixture> {
  const tag = options.tag ?? 'latest';
  const built = buildFixtureIndex(options);
  await writeLayout(dir, built.blobs, tag, {
    mediaType: OciMediaType.ImageIndex,
    digest: built.indexDigest,
    size: built.indexSize,
  });
  const images = built.images.map(({ manifestBytes: _m, configBytes: _c, blobs: _b, layerTars: _l, ...image }) => image);
  return { dir, tag, indexDigest: built.indexDigest, indexSize: built.indexSize, index: built.index, images };
}

async function writeLayout(
  dir: string,
  blobs: ReadonlyMap<Digest, Buffer>,
  tag: string,
  top: ImageIndex['manifests'][number],
): Promise<void> {
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  for (const [digest, data] of blobs) {
    const path = join(blobDir, parseDigest(digest).hex);
    if (!existsSync(path)) await writeAtomic(path, data);
  }
  await writeAtomic(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));

  const indexPath = join(dir, 'index.json');
  const index: ImageIndex = existsSync(indexPath)
    ? imageIndex.parse(await readFile(indexPath, 'utf8'), indexPath)
    : { schemaVersion: 2, mediaType: OciMediaType.ImageIndex, manifests: [] };
  index.manifests = [
    ...index.manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] !== tag),
    { ...top, annotations: { [REF_NAME_ANNOTATION]: tag } },
  ];
  // index.json last: a reader never sees a manifest whose blobs are missing
  await writeAtomic(indexPath, JSON.stringify(index));
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
