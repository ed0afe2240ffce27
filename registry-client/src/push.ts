import { isNonDistributableLayer, parseDockerRef, type ImageReference } from '@berth/spec';
import type { ContentSource } from './content';
import { RegistryError, UnsupportedManifestError } from './errors';
import { Gate } from './gate';
import { OciLayout } from './oci-layout';
import { runPool } from './pool';
import type { ProgressListener, RegistryClient, Repository } from './registry';
import { isIndexMediaType, isManifestMediaType, type Descriptor, type ImageIndex, type ImageManifest } from './types';

export interface PushOptions {
  /** Blobs uploaded at once (default 4). */
  concurrency?: number;
  /** Upload in PATCH chunks of this many bytes instead of one PUT. */
  chunkSize?: number;
  /** A repository on the same registry to mount blobs from. */
  mountFrom?: string;
  onProgress?: ProgressListener;
}

/**
 * Pushes an image or index (with all its children) from a content source:
 * blobs first, in parallel, then child manifests by digest, then the top
 * manifest under the tag (or by digest when the reference has no tag).
 * Returns the top manifest's digest.
 */
export async function pushImage(
  client: RegistryClient,
  source: ContentSource,
  root: Descriptor,
  reference: string | ImageReference,
  options: PushOptions = {},
): Promise<string> {
  const ref = typeof reference === 'string' ? parseDockerRef(reference) : reference;
  const repo = client.repository(ref.domain, ref.path, { push: true });
  const bytes = await source.readBlob(root.digest);
  try {
    await pushTree(repo, source, root, bytes, options, ref.toString());
    return await repo.putManifest(ref.tag ?? root.digest, bytes, root.mediaType);
  } catch (err) {
    if (err instanceof RegistryError && ['UNAUTHORIZED', 'DENIED', 'NAME_UNKNOWN'].includes(err.registryCode)) {
      throw new RegistryError(
        `push access denied for ${ref.familiarName}: requested access to the resource is denied; run \`berth login ${ref.domain}\` (${err.message})`,
        err.status,
        err.errors,
        err.rateLimit,
      );
    }
    throw err;
  }
}

async function pushTree(
  repo: Repository,
  source: ContentSource,
  desc: Descriptor,
  bytes: Buffer,
  options: PushOptions,
  what: string,
): Promise<void> {
  if (isIndexMediaType(desc.mediaType)) {
    const index = JSON.parse(bytes.toString('utf8')) as ImageIndex;
    for (const child of index.manifests) {
      const childBytes = await source.readBlob(child.digest);
      await pushTree(repo, source, child, childBytes, options, what);
      await repo.putManifest(child.digest, childBytes, child.mediaType);
    }
    return;
  }
  if (!isManifestMediaType(desc.mediaType)) {
    throw new UnsupportedManifestError(`${what}: cannot push media type "${desc.mediaType}"`);
  }
  const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest;
  // Non-distributable (foreign) layers are never uploaded: the manifest points at their urls.
  const blobs = [manifest.config, ...manifest.layers].filter(
    (d, i, all) => all.findIndex((o) => o.digest === d.digest) === i && !isNonDistributableLayer(d.mediaType),
  );
  // Biggest first, so the long transfers start early. At most `concurrency`
  // blobs send bytes at once; twice as many may run their HEAD and open their
  // upload meanwhile, so a freed slot never waits for those round trips.
  blobs.sort((a, b) => b.size - a.size);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const transferGate = new Gate(concurrency);
  await runPool(blobs, concurrency * 2, async (d) => {
    const chunks = source.blobChunks?.bind(source);
    await repo.uploadBlob(d, (start) => source.openBlob(d.digest, start), {
      chunks: chunks && ((start) => chunks(d.digest, start)),
      chunkSize: options.chunkSize,
      mountFrom: options.mountFrom,
      onProgress: options.onProgress,
      transferGate,
    });
  });
}

/** Pushes the image named `refName` (or the only one) in an OCI layout directory. */
export async function pushFromLayout(
  client: RegistryClient,
  dir: string,
  reference: string,
  options: PushOptions & { refName?: string } = {},
): Promise<string> {
  const layout = await OciLayout.open(dir);
  const desc = await layout.resolve(options.refName);
  return pushImage(client, layout, desc, reference, options);
}
