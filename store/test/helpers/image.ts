import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { OciMediaType, digestOf, type Digest } from '@berth/spec';
import type { Store } from '@berth/store';

export interface BuiltImage {
  manifestDigest: Digest;
  configDigest: Digest;
  manifestSize: number;
  diffIds: Digest[];
  blobs: Map<Digest, Buffer>;
}

/** An OCI image from uncompressed layer tars (gzip'd unless told otherwise). */
export function buildImage(layers: readonly Buffer[], options: { gzip?: boolean } = {}): BuiltImage {
  const blobs = new Map<Digest, Buffer>();
  const gzip = options.gzip ?? true;
  const descriptors = layers.map((tar) => {
    const blob = gzip ? gzipSync(tar, { level: 1 }) : tar;
    const digest = digestOf(blob);
    blobs.set(digest, blob);
    return { mediaType: gzip ? OciMediaType.LayerGzip : OciMediaType.Layer, digest, size: blob.length };
  });
  const diffIds = layers.map((tar) => digestOf(tar));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const configDigest = digestOf(config);
  blobs.set(configDigest, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OciMediaType.ImageManifest,
      config: { mediaType: OciMediaType.ImageConfig, digest: configDigest, size: config.length },
      layers: descriptors,
    }),
  );
  const manifestDigest = digestOf(manifest);
  blobs.set(manifestDigest, manifest);
  return { manifestDigest, configDigest, manifestSize: manifest.length, diffIds, blobs };
}

/** Puts an image's blobs into the store and names it. */
export async function addImage(store: Store, image: BuiltImage, refs: string[] = []): Promise<void> {
  for (const [digest, blob] of image.blobs) await store.content.writeBytes(blob, { digest, size: blob.length });
  await store.images.add(
    { digest: image.manifestDigest, config: image.configDigest, mediaType: OciMediaType.ImageManifest, size: image.manifestSize },
    refs,
  );
}

/** Writes the image as an OCI layout (for umoci). */
export function writeOciLayout(dir: string, image: BuiltImage, tag: string): void {
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const [digest, blob] of image.blobs) writeFileSync(path.join(dir, 'blobs', 'sha256', digest.slice(7)), blob);
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: OciMediaType.ImageManifest,
          digest: image.manifestDigest,
          size: image.manifestSize,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
}
