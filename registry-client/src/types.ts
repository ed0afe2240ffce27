/**
 * The OCI image-spec shapes this package reads and writes. Kept structural and
 * minimal so that documents from any registry pass through unchanged; the
 * bytes, not these objects, are what digests are computed over.
 */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export {
  OciMediaType,
  DockerMediaType,
  MANIFEST_ACCEPT,
  isIndexMediaType,
  isManifestMediaType,
} from '@berth/spec';

export function isSchema1MediaType(mediaType: string | undefined): boolean {
  return (
    mediaType === 'application/vnd.docker.distribution.manifest.v1+json' ||
    mediaType === 'application/vnd.docker.distribution.manifest.v1+prettyjws'
  );
}
