import { randomBytes, createHash } from 'node:crypto';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { tarOf } from './tar';
import { OciMediaType, OciLayout, type Descriptor, type ImageManifest } from '../../src';

const gzip = promisify(zlib.gzip);
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A tar with one file of random bytes: a layer whose content differs every run. */
export async function randomTar(name: string, size: number): Promise<Buffer> {
  return tarOf([{ name, data: randomBytes(size), mode: 0o644 }]);
}

export interface FixtureImage {
  manifest: ImageManifest;
  descriptor: Descriptor;
  manifestBytes: Buffer;
  configBytes: Buffer;
  layers: Buffer[];
}

/**
 * Writes an image of `layerSizes.length` random gzip layers into an OCI
 * layout under `refName`, and returns its parts.
 */
export async function makeImage(
  layout: OciLayout,
  refName: string,
  layerSizes: number[] = [1000, 2000],
  platform = { os: 'linux', architecture: 'amd64' },
): Promise<FixtureImage> {
  const layers: Buffer[] = [];
  const diffIds: string[] = [];
  const layerDescs: Descriptor[] = [];
  for (const [i, size] of layerSizes.entries()) {
    const tar = await randomTar(`file${i}`, size);
    const gz = await gzip(tar);
    layers.push(gz);
    diffIds.push(sha(tar));
    layerDescs.push({ mediaType: OciMediaType.LayerGzip, digest: sha(gz), size: gz.length });
    await layout.putBlob(gz, sha(gz));
  }
  const configBytes = Buffer.from(
    JSON.stringify({
      ...platform,
      created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: layerSizes.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'test' })),
    }),
  );
  await layout.putBlob(configBytes, sha(configBytes));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OciMediaType.ImageManifest,
    config: { mediaType: OciMediaType.ImageConfig, digest: sha(configBytes), size: configBytes.length },
    layers: layerDescs,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  await layout.putBlob(manifestBytes, sha(manifestBytes));
  const descriptor: Descriptor = { mediaType: OciMediaType.ImageManifest, digest: sha(manifestBytes), size: manifestBytes.length };
  await layout.addManifest(descriptor, refName);
  return { manifest, descriptor, manifestBytes, configBytes, layers };
}
