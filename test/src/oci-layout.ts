/**
 * Writes a fixture image as an OCI image layout (image-spec image-layout.md):
 * `oci-layout`, `blobs/sha256/<hex>`, and `index.json` naming the manifest
 * with `org.opencontainers.image.ref.name` = tag, as umoci and skopeo's
 * `oci:dir:tag` expect.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OciMediaType, imageIndex, parseDigest, type ImageIndex } from '@berth/spec';
import { buildFixtureImage, type FixtureImage, type FixtureImageOptions } from './image';

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
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  for (const [digest, data] of image.blobs) {
    const path = join(blobDir, parseDigest(digest).hex);
    if (!existsSync(path)) await writeAtomic(path, data);
  }
  await writeAtomic(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));

  const indexPath = join(dir, 'index.json');
  const index: ImageIndex = existsSync(indexPath)
    ? imageIndex.parse(await readFile(indexPath, 'utf8'), indexPath)
    : { schemaVersion: 2, mediaType: OciMediaType.ImageIndex, manifests: [] };
  const platform = {
    architecture: image.config.architecture,
    os: image.config.os,
    ...(image.config.variant ? { variant: image.config.variant } : {}),
  };
  index.manifests = [
    ...index.manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] !== tag),
    {
      mediaType: OciMediaType.ImageManifest,
      digest: image.manifestDigest,
      size: image.manifestSize,
      platform,
      annotations: { [REF_NAME_ANNOTATION]: tag },
    },
  ];
  // index.json last: a reader never sees a manifest whose blobs are missing
  await writeAtomic(indexPath, JSON.stringify(index));
  const { manifestBytes: _m, configBytes: _c, blobs: _b, layerTars: _l, ...fixture } = image;
  return { ...fixture, dir, tag };
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
