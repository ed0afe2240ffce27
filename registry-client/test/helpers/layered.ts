import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { OciMediaType, type Descriptor, type ImageManifest, type OciLayout } from '../../src';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface LayerSpec {
  /** The uncompressed layer tar. */
  tar: Buffer;
  /** Default: OCI gzip layer. */
  mediaType?: string;
  urls?: string[];
  /** Leave the blob out of the layout (a non-distributable layer that was never fetched). */
  omitBlob?: boolean;
}

/** An image of gzip'd layers as given, in an OCI layout under `refName`. */
export async function makeLayeredImage(layout: OciLayout, refName: string, specs: LayerSpec[]): Promise<{ descriptor: Descriptor; manifest: ImageManifest; blobs: Buffer[] }> {
  const blobs: Buffer[] = [];
  const layers: Descriptor[] = [];
  for (const spec of specs) {
    const gz = gzipSync(spec.tar);
    blobs.push(gz);
    layers.push({ mediaType: spec.mediaType ?? OciMediaType.LayerGzip, digest: sha(gz), size: gz.length, ...(spec.urls ? { urls: spec.urls } : {}) });
    if (!spec.omitBlob) await layout.putBlob(gz, sha(gz));
  }
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: specs.map((s) => sha(s.tar)) } }));
  await layout.putBlob(config, sha(config));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OciMediaType.ImageManifest,
    config: { mediaType: OciMediaType.ImageConfig, digest: sha(config), size: config.length },
    layers,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  await layout.putBlob(bytes, sha(bytes));
  const descriptor: Descriptor = { mediaType: OciMediaType.ImageManifest, digest: sha(bytes), size: bytes.length };
  await layout.addManifest(descriptor, refName);
  return { descriptor, manifest, blobs };
}
