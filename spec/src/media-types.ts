/**
 * Media types of OCI image-spec v1.1 and Docker's image manifest v2 schema 2,
 * and the correspondence between them (what a registry client sends in
 * Accept, and what `docker save` / OCI layout conversion rewrites).
 */

export const OciMediaType = {
  Descriptor: 'application/vnd.oci.descriptor.v1+json',
  LayoutHeader: 'application/vnd.oci.layout.header.v1+json',
  ImageIndex: 'application/vnd.oci.image.index.v1+json',
  ImageManifest: 'application/vnd.oci.image.manifest.v1+json',
  ImageConfig: 'application/vnd.oci.image.config.v1+json',
  Empty: 'application/vnd.oci.empty.v1+json',
  Layer: 'application/vnd.oci.image.layer.v1.tar',
  LayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  LayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  /** Deprecated in image-spec 1.1; still found in the wild. */
  LayerNonDistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  LayerNonDistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  LayerNonDistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
} as const;

export const DockerMediaType = {
  ManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  Manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  /** Schema 1 manifests: recognised only to reject them with a clear error. */
  ManifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
  ManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  Config: 'application/vnd.docker.container.image.v1+json',
  Layer: 'application/vnd.docker.image.rootfs.diff.tar',
  LayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  LayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  ForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  PluginConfig: 'application/vnd.docker.plugin.v1+json',
} as const;

export type OciMediaTypeName = (typeof OciMediaType)[keyof typeof OciMediaType];
export type DockerMediaTypeName = (typeof DockerMediaType)[keyof typeof DockerMediaType];

export type LayerCompression = 'none' | 'gzip' | 'zstd';

const DOCKER_TO_OCI: ReadonlyMap<string, OciMediaTypeName> = new Map<string, OciMediaTypeName>([
  [DockerMediaType.ManifestList, OciMediaType.ImageIndex],
  [DockerMediaType.Manifest, OciMediaType.ImageManifest],
  [DockerMediaType.Config, OciMediaType.ImageConfig],
  [DockerMediaType.Layer, OciMediaType.Layer],
  [DockerMediaType.LayerGzip, OciMediaType.LayerGzip],
  [DockerMediaType.LayerZstd, OciMediaType.LayerZstd],
  [DockerMediaType.ForeignLayerGzip, OciMediaType.LayerNonDistributableGzip],
]);

const OCI_TO_DOCKER: ReadonlyMap<string, DockerMediaTypeName> = new Map<string, DockerMediaTypeName>([
  ...[...DOCKER_TO_OCI].map(([docker, oci]) => [oci, docker as DockerMediaTypeName] as const),
  // Docker has no uncompressed or zstd foreign layers; these map to the
  // closest thing Docker clients accept.
  [OciMediaType.LayerNonDistributable, DockerMediaType.ForeignLayerGzip],
  [OciMediaType.LayerNonDistributableZstd, DockerMediaType.ForeignLayerGzip],
]);

/** The OCI equivalent of a Docker media type (OCI types map to themselves); undefined if none. */
export function toOciMediaType(mediaType: string): OciMediaTypeName | undefined {
  if (isOciMediaType(mediaType)) return mediaType;
  return DOCKER_TO_OCI.get(mediaType);
}

/** The Docker equivalent of an OCI media type (Docker types map to themselves); undefined if none. */
export function toDockerMediaType(mediaType: string): DockerMediaTypeName | undefined {
  if (isDockerMediaType(mediaType)) return mediaType;
  return OCI_TO_DOCKER.get(mediaType);
}

const OCI_VALUES: ReadonlySet<string> = new Set(Object.values(OciMediaType));
const DOCKER_VALUES: ReadonlySet<string> = new Set(Object.values(DockerMediaType));

export function isOciMediaType(mediaType: string): mediaType is OciMediaTypeName {
  return OCI_VALUES.has(mediaType);
}

export function isDockerMediaType(mediaType: string): mediaType is DockerMediaTypeName {
  return DOCKER_VALUES.has(mediaType);
}

/** An image index or Docker manifest list (points at per-platform manifests). */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === OciMediaType.ImageIndex || mediaType === DockerMediaType.ManifestList;
}

/** A single-platform image manifest, OCI or Docker schema 2. */
export function isManifestMediaType(mediaType: string): boolean {
  return mediaType === OciMediaType.ImageManifest || mediaType === DockerMediaType.Manifest;
}

export function isConfigMediaType(mediaType: string): boolean {
  return mediaType === OciMediaType.ImageConfig || mediaType === DockerMediaType.Config;
}

/** A filesystem layer, in either family, compressed or not, distributable or not. */
export function isLayerMediaType(mediaType: string): boolean {
  return layerCompression(mediaType) !== undefined;
}

/** How a layer blob is compressed, or undefined if the media type is not a layer. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  const oci = toOciMediaType(mediaType);
  switch (oci) {
    case OciMediaType.Layer:
    case OciMediaType.LayerNonDistributable:
      return 'none';
    case OciMediaType.LayerGzip:
    case OciMediaType.LayerNonDistributableGzip:
      return 'gzip';
    case OciMediaType.LayerZstd:
    case OciMediaType.LayerNonDistributableZstd:
      return 'zstd';
    default:
      return undefined;
  }
}

/** Layers that registries may refuse to serve (`urls` point elsewhere). */
export function isNonDistributableLayer(mediaType: string): boolean {
  return (
    mediaType === DockerMediaType.ForeignLayerGzip ||
    mediaType === OciMediaType.LayerNonDistributable ||
    mediaType === OciMediaType.LayerNonDistributableGzip ||
    mediaType === OciMediaType.LayerNonDistributableZstd
  );
}

/** The layer media type for a compression, in OCI's or Docker's family. */
export function layerMediaType(compression: LayerCompression, family: 'oci' | 'docker' = 'oci'): string {
  const oci = { none: OciMediaType.Layer, gzip: OciMediaType.LayerGzip, zstd: OciMediaType.LayerZstd }[compression];
  return family === 'oci' ? oci : (OCI_TO_DOCKER.get(oci) as string);
}

/**
 * The Accept header value a registry client sends for a manifest: every
 * manifest and index type berth can read, OCI first.
 */
export const MANIFEST_ACCEPT: readonly string[] = [
  OciMediaType.ImageIndex,
  OciMediaType.ImageManifest,
  DockerMediaType.ManifestList,
  DockerMediaType.Manifest,
];
