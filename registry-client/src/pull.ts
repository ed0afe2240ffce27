import { isNonDistributableLayer, parseDockerRef, type ImageReference, type ImagePlatform } from '@berth/spec';
import type { ContentSink } from './content';
import { AuthError, RegistryError, UnsupportedManifestError } from './errors';
import { OciLayout, CONTAINERD_NAME } from './oci-layout';
import { selectPlatform } from './platform';
import { parseImageIndex, parseImageManifest } from './validate';
import { runPool } from './pool';
import type { FetchedManifest, ProgressListener, RegistryClient, Repository } from './registry';
import {
  isIndexMediaType,
  isManifestMediaType,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from './types';

export interface PullOptions {
  /** `linux/arm64/v8` or a Platform; default the host's. */
  platform?: string | ImagePlatform;
  /** Keep the whole index and every platform's image. */
  allPlatforms?: boolean;
  /** Blobs fetched at once (default 4). */
  concurrency?: number;
  /**
   * Also fetch non-distributable (foreign) layers. By default they are not fetched, as
   * skopeo and containerd do: the manifest keeps their descriptors (and `urls`).
   */
  nonDistributable?: boolean;
  onProgress?: ProgressListener;
  /**
   * Called once the platform image's manifest is known, before any blob is
   * fetched (the first platform's with allPlatforms).
   */
  onManifest?: (manifest: ImageManifest, descriptor: Descriptor) => void;
  /**
   * Called when a blob is in the sink: found there, or fetched, verified and
   * committed. With it, the config goes first and the layers follow in
   * manifest order (not biggest first), so a caller can unpack layer n while
   * later ones download, as Docker does.
   */
  onBlob?: (digest: string) => void;
}

export interface PulledImage {
  reference: ImageReference;
  /** What was stored at the top: the platform's manifest, or the index with allPlatforms. */
  descriptor: Descriptor;
  /** The index the manifest was picked from, when the reference named one. */
  indexDigest?: string;
  /** The platform image's manifest (the first one with allPlatforms). */
  manifest: ImageManifest;
}

/**
 * Pulls an image into a content sink: resolves the reference, picks the
 * platform, fetches config and layers in parallel, verifying each; then
 * stores the manifests last, so the top-level manifest exists only once
 * everything it names does.
 */
export async function pullImage(
  client: RegistryClient,
  reference: string | ImageReference,
  sink: ContentSink,
  options: PullOptions = {},
): Promise<PulledImage> {
  const ref = typeof reference === 'string' ? parseDockerRef(reference) : reference;
  const { repo, top } = await resolveTop(client, ref);

  const manifests: { fetched: FetchedManifest; manifest: ImageManifest }[] = [];
  let index: ImageIndex | undefined;
  if (isIndexMediaType(top.mediaType)) {
    index = parseImageIndex(top.bytes, top.mediaType, `index ${ref.toString()}`);
    const chosen = options.allPlatforms
      ? index.manifests.filter((m) => isManifestMediaType(m.mediaType))
      : [selectPlatform(ref.toString(), index.manifests, options.platform)];
    for (const desc of chosen) {
      const fetched = await repo.getManifest(desc.digest);
      manifests.push({ fetched, manifest: parseManifest(fetched, ref) });
    }
  } else {
    manifests.push({ fetched: top, manifest: parseManifest(top, ref) });
  }

  options.onManifest?.(manifests[0].manifest, {
    mediaType: manifests[0].fetched.mediaType,
    digest: manifests[0].fetched.digest,
    size: manifests[0].fetched.size,
  });
  const blobs = new Map<string, Descriptor>();
  for (const { manifest } of manifests) {
    for (const d of [manifest.config, ...manifest.layers]) {
      if (options.nonDistributable || !isNonDistributableLayer(d.mediaType)) blobs.set(d.digest, d);
    }
  }
  const todo: Descriptor[] = [];
  for (const d of blobs.values()) {
    if (await sink.has(d.digest)) {
      options.onProgress?.({ digest: d.digest, state: 'exists', done: d.size, total: d.size });
      options.onBlob?.(d.digest);
    } else {
      options.onProgress?.({ digest: d.digest, state: 'waiting', done: 0, total: d.size });
      todo.push(d);
    }
  }
  // Biggest first, so the long transfers start early; in manifest order (configs first, then
  // layers base first) for a caller that consumes blobs as they arrive.
  if (!options.onBlob) todo.sort((a, b) => b.size - a.size);
  await runPool(todo, options.concurrency ?? 4, async (d) => {
    await repo.fetchBlob(d, await sink.writer(d), options.onProgress);
    options.onBlob?.(d.digest);
  });

  for (const { fetched } of manifests) await storeBytes(sink, fetched);
  const first = manifests[0];
  let descriptor: Descriptor = { mediaType: first.fetched.mediaType, digest: first.fetched.digest, size: first.fetched.size };
  if (index && options.allPlatforms) {
    await storeBytes(sink, top);
    descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.size };
  } else if (index) {
    const entry = index.manifests.find((m) => m.digest === first.fetched.digest);
    if (entry?.platform) descriptor.platform = entry.platform;
  }
  return { reference: ref, descriptor, indexDigest: index ? top.digest : undefined, manifest: first.manifest };
}

/** Pulls into an OCI image layout directory, naming the image like `skopeo copy ... oci:dir:name`. */
export async function pullToLayout(
  client: RegistryClient,
  reference: string,
  dir: string,
  options: PullOptions & { refName?: string } = {},
): Promise<PulledImage> {
  const layout = await OciLayout.open(dir, { create: true });
  const pulled = await pullImage(client, reference, layout, options);
  const refName = options.refName ?? pulled.reference.tag ?? pulled.reference.digest;
  await layout.addManifest(pulled.descriptor, refName, { [CONTAINERD_NAME]: pulled.reference.toString() });
  return pulled;
}

async function storeBytes(sink: ContentSink, m: FetchedManifest): Promise<void> {
  if (await sink.has(m.digest)) return;
  const w = await sink.writer({ mediaType: m.mediaType, digest: m.digest, size: m.size });
  try {
    await w.write(m.bytes);
    await w.commit();
  } catch (err) {
    await w.abort();
    throw err;
  }
}

/** Tries docker.io's mirrors in order, then the registry itself, like dockerd. */
async function resolveTop(client: RegistryClient, ref: ImageReference): Promise<{ repo: Repository; top: FetchedManifest }> {
  const hosts = client.candidates(ref.domain);
  for (const host of hosts.slice(0, -1)) {
    const repo = client.repository(host, ref.path);
    try {
      return { repo, top: await fetchTop(repo, ref) };
    } catch {
      // A mirror that lacks the image or is down: fall through to the next one.
    }
  }
  const repo = client.repository(ref.domain, ref.path);
  return { repo, top: await fetchTop(repo, ref) };
}

async function fetchTop(repo: Repository, ref: ImageReference): Promise<FetchedManifest> {
  const name = ref.familiarName;
  try {
    return await repo.getManifest(ref.digest ?? ref.tag ?? 'latest');
  } catch (err) {
    if (err instanceof RegistryError && ['NAME_UNKNOWN', 'UNAUTHORIZED', 'DENIED'].includes(err.registryCode)) {
      throw new RegistryError(
        `pull access denied for ${name}: the repository does not exist or needs \`berth login\` (${err.message})`,
        err.status,
        err.errors,
        err.rateLimit,
      );
    }
    if (err instanceof RegistryError && (err.registryCode === 'MANIFEST_UNKNOWN' || err.registryCode === 'NOT_FOUND')) {
      throw new RegistryError(`manifest for ${name}:${ref.digest ?? ref.tag} not found: manifest unknown`, err.status, err.errors);
    }
    if (err instanceof AuthError) {
      throw new AuthError(`pull access denied for ${name}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

function parseManifest(m: FetchedManifest, ref: ImageReference): ImageManifest {
  if (!isManifestMediaType(m.mediaType)) {
    throw new UnsupportedManifestError(`${ref.toString()}: unsupported manifest media type "${m.mediaType}"`);
  }
  return parseImageManifest(m.bytes, m.mediaType, `manifest ${m.digest} of ${ref.toString()}`);
}
