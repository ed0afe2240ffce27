import {
  DockerMediaType,
  MANIFEST_ACCEPT,
  OciMediaType,
  isConfigMediaType,
  isIndexMediaType,
  isLayerMediaType,
  isManifestMediaType,
  isNonDistributableLayer,
  layerCompression,
  layerMediaType,
  toDockerMediaType,
  toOciMediaType,
} from '@berth/spec';

describe('media types', () => {
  test('constants carry the registered strings', () => {
    expect(OciMediaType.ImageManifest).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(OciMediaType.LayerGzip).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(DockerMediaType.Manifest).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(DockerMediaType.LayerGzip).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    expect(DockerMediaType.Config).toBe('application/vnd.docker.container.image.v1+json');
  });

  test.each([
    [DockerMediaType.ManifestList, OciMediaType.ImageIndex],
    [DockerMediaType.Manifest, OciMediaType.ImageManifest],
    [DockerMediaType.Config, OciMediaType.ImageConfig],
    [DockerMediaType.Layer, OciMediaType.Layer],
    [DockerMediaType.LayerGzip, OciMediaType.LayerGzip],
    [DockerMediaType.LayerZstd, OciMediaType.LayerZstd],
    [DockerMediaType.ForeignLayerGzip, OciMediaType.LayerNonDistributableGzip],
  ])('%s <-> %s', (docker, oci) => {
    expect(toOciMediaType(docker)).toBe(oci);
    expect(toDockerMediaType(oci)).toBe(docker);
    expect(toOciMediaType(oci)).toBe(oci);
    expect(toDockerMediaType(docker)).toBe(docker);
  });

  test('types without an equivalent map to undefined', () => {
    expect(toDockerMediaType(OciMediaType.Empty)).toBeUndefined();
    expect(toOciMediaType(DockerMediaType.ManifestV1Signed)).toBeUndefined();
    expect(toOciMediaType('text/plain')).toBeUndefined();
    expect(toDockerMediaType(OciMediaType.LayerNonDistributable)).toBe(DockerMediaType.ForeignLayerGzip);
  });

  test('classification', () => {
    expect(isIndexMediaType(DockerMediaType.ManifestList)).toBe(true);
    expect(isIndexMediaType(OciMediaType.ImageManifest)).toBe(false);
    expect(isManifestMediaType(DockerMediaType.Manifest)).toBe(true);
    expect(isManifestMediaType(DockerMediaType.ManifestV1)).toBe(false);
    expect(isConfigMediaType(OciMediaType.ImageConfig)).toBe(true);
    expect(isLayerMediaType(DockerMediaType.ForeignLayerGzip)).toBe(true);
    expect(isLayerMediaType(OciMediaType.ImageConfig)).toBe(false);
    expect(isNonDistributableLayer(OciMediaType.LayerNonDistributableZstd)).toBe(true);
    expect(isNonDistributableLayer(OciMediaType.LayerGzip)).toBe(false);
    expect(MANIFEST_ACCEPT).toHaveLength(4);
  });

  test.each([
    [OciMediaType.Layer, 'none'],
    [OciMediaType.LayerGzip, 'gzip'],
    [OciMediaType.LayerZstd, 'zstd'],
    [DockerMediaType.Layer, 'none'],
    [DockerMediaType.LayerGzip, 'gzip'],
    [DockerMediaType.ForeignLayerGzip, 'gzip'],
    [OciMediaType.ImageManifest, undefined],
  ])('layerCompression(%s) = %s', (mt, compression) => {
    expect(layerCompression(mt)).toBe(compression);
  });

  test('layerMediaType builds either family', () => {
    expect(layerMediaType('gzip')).toBe(OciMediaType.LayerGzip);
    expect(layerMediaType('none', 'docker')).toBe(DockerMediaType.Layer);
    expect(layerMediaType('zstd', 'docker')).toBe(DockerMediaType.LayerZstd);
  });
});
