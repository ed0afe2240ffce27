import { PassThrough, type Readable } from 'node:stream';
import { parseDockerRef, type ImageReference } from '@berth/spec';
import type { ContentSource } from './content';
import { RegistryError } from './errors';
import { pushImage, type PushOptions } from './push';
import type { RegistryClient, Repository } from './registry';
import type { Descriptor } from './types';

/**
 * A repository as a content source: blobs and manifests are fetched on
 * demand and verified (streamed blobs are verified by the destination
 * registry on PUT, as every registry checks `?digest=`).
 */
export class RemoteSource implements ContentSource {
  constructor(private readonly repo: Repository) {}

  async readBlob(digest: string): Promise<Buffer> {
    // Manifests live under /manifests, everything else under /blobs.
    const manifest = await this.repo.headManifest(digest).catch(() => undefined);
    if (manifest) return (await this.repo.getManifest(digest)).bytes;
    return this.repo.fetchBlobBytes({ mediaType: 'application/octet-stream', digest, size: await this.blobSize(digest) });
  }

  openBlob(digest: string, start = 0): Readable {
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    const run = async (): Promise<void> => {
      const size = await this.blobSize(digest);
      let skipped = 0;
      await this.repo.fetchBlob(
        { mediaType: 'application/octet-stream', digest, size },
        {
          write: async (chunk) => {
            if (skipped < start) {
              const skip = Math.min(start - skipped, chunk.length);
              skipped += skip;
              chunk = chunk.subarray(skip);
              if (chunk.length === 0) return;
            }
            if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
          },
          truncate: async () => {
            throw new RegistryError(`blob ${digest}: source restarted mid-stream`, 0, []);
          },
          commit: async () => void out.end(),
          abort: async () => undefined,
        },
      );
    };
    run().catch((err: Error) => out.destroy(err));
    return out;
  }

  async blobSize(digest: string): Promise<number> {
    const size = await this.repo.headBlob(digest);
    if (size === undefined) throw new RegistryError(`blob ${digest} not found in ${this.repo.name}`, 404, [{ code: 'BLOB_UNKNOWN' }]);
    return size;
  }
}

/**
 * Copies an image or index between repositories, like `skopeo copy
 * docker://a docker://b`: blobs are mounted when both are on one registry,
 * otherwise streamed through. Manifests keep their bytes, so digests match.
 */
export async function copyImage(
  client: RegistryClient,
  from: string | ImageReference,
  to: string | ImageReference,
  options: PushOptions = {},
): Promise<string> {
  const src = typeof from === 'string' ? parseDockerRef(from) : from;
  const dst = typeof to === 'string' ? parseDockerRef(to) : to;
  const repo = client.repository(src.domain, src.path);
  const top = await repo.getManifest(src.digest ?? src.tag ?? 'latest');
  const desc: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.size };
  const sameRegistry = src.domain === dst.domain;
  return pushImage(client, new RemoteSource(repo), desc, dst, { ...options, mountFrom: sameRegistry ? src.path : options.mountFrom });
}
