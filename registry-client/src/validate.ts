import {
  DockerMediaType,
  decodeDockerManifest,
  decodeDockerManifestList,
  imageIndex,
  imageManifest,
} from '@berth/spec';
import { UnsupportedManifestError } from './errors';
import type { ImageIndex, ImageManifest } from './types';

/**
 * Parses and checks a manifest against its schema (OCI or Docker schema 2),
 * so a malformed document fails with the JSON paths that are wrong instead
 * of somewhere later.
 */
export function parseImageManifest(bytes: Buffer, mediaType: string, what: string): ImageManifest {
  if (mediaType === DockerMediaType.Manifest) return decodeDockerManifest(bytes, what) as unknown as ImageManifest;
  if (mediaType === 'application/vnd.oci.image.manifest.v1+json') return imageManifest.parse(bytes, what) as unknown as ImageManifest;
  throw new UnsupportedManifestError(`${what}: not an image manifest (media type "${mediaType}")`);
}

export function parseImageIndex(bytes: Buffer, mediaType: string, what: string): ImageIndex {
  if (mediaType === DockerMediaType.ManifestList) return decodeDockerManifestList(bytes, what) as unknown as ImageIndex;
  if (mediaType === 'application/vnd.oci.image.index.v1+json') return imageIndex.parse(bytes, what) as unknown as ImageIndex;
  throw new UnsupportedManifestError(`${what}: not an image index (media type "${mediaType}")`);
}
