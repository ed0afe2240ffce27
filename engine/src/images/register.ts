/**
 * Naming an image whose blobs are in the content store: its layers are
 * unpacked into snapshots first (each once), then the index entry is
 * written, so a name never points at an incomplete image. Shared by pull
 * and load.
 */
import { isIndexMediaType, selectPlatform, type Descriptor, type ImageIndex } from '@berth/registry-client';
import { validateDigest, type ImageReference } from '@berth/spec';
import { StoreError, chainIds, type ImageEntry, type LayerSource, type Lease, type Store } from '@berth/store';
import { LayerFeedRestarted } from './layer-feed';

type LayerStream = Awaited<ReturnType<LayerSource['open']>>;

/** The platform manifest to store for a descriptor: itself, or the host's entry of an index. */
export async function platformManifest(store: Store, desc: Descriptor, name: string, platform?: string): Promise<Descriptor> {
  if (!isIndexMediaType(desc.mediaType)) return desc;
  const index = JSON.parse((await store.content.readBytes(desc.digest)).toString('utf8')) as ImageIndex;
  return selectPlatform(name, index.manifests, platform);
}

export async function registerImage(
  store: Store,
  lease: Lease,
  manifest: Descriptor,
  refs: readonly ImageReference[],
  onLayerUnpacked?: (layerDigest: string, size: number) => void,
): Promise<ImageEntry> {
  const m = await store.manifest(manifest.digest);
  await unpackLayers(store, lease, m, { onLayerUnpacked });
  return recordImage(store, manifest, m.config.digest, refs);
}

/**
 * Writes the index entry of an image whose layers are unpacked already and
 * held by the caller's lease (a pull unpacks them as they arrive).
 */
export function recordImage(store: Store, manifest: Descriptor, config: string, refs: readonly ImageReference[]): Promise<ImageEntry> {
  const entry = { digest: validateDigest(manifest.digest), mediaType: manifest.mediaType, size: manifest.size, config: validateDigest(config) };
  return store.images.add(entry, refs);
}

/**
 * Unpacks an image's layers into snapshots, each once, side by side (locks
 * taken base first; see SnapshotBatch.begin), all made durable by one sync
 * before any is named. `ready` resolves when a blob is in the content store
 * (a pull still downloading the later layers); by default every blob is
 * there already. `open` gives a layer's bytes another way (as they
 * download), `skip` says a layer will not be read (its snapshot exists).
 * `onLayerUnpacked` is told of the layers in order, base first.
 */
export async function unpackLayers(
  store: Store,
  lease: Lease,
  manifest: { config: { digest: string }; layers: readonly { digest: string; size: number }[] },
  options: {
    ready?: (digest: string) => Promise<void>;
    open?: (digest: string) => Promise<LayerStream | undefined>;
    skip?: (digest: string) => void;
    onLayerUnpacked?: (layerDigest: string, size: number) => void;
  } = {},
): Promise<void> {
  const ready = options.ready ?? (async () => {});
  await ready(manifest.config.digest);
  const config = await store.config(manifest.config.digest);
  const diffIds = config.rootfs.diff_ids.map((d) => validateDigest(d));
  if (diffIds.length !== manifest.layers.length) {
    throw new StoreError(
      'ERR_BERTH_STORE_BAD_IMAGE',
      `the manifest lists ${manifest.layers.length} layers but the config ${manifest.config.digest} has ${diffIds.length} diff IDs`,
    );
  }
  const chain = chainIds(diffIds);
  await lease.protect(...chain);
  // One sync for the image's new snapshots, before any of them gets its name (see SnapshotBatch).
  const batch = store.snapshots.batch();
  const started: { layer: { digest: string; size: number }; done: Promise<{ unpacked: unknown }> }[] = [];
  try {
    for (const [i, layer] of manifest.layers.entries()) {
      let opened = false;
      const { done } = await batch.begin({
        chainId: chain[i],
        diffId: diffIds[i],
        parent: i === 0 ? null : chain[i - 1],
        layer: layer.digest,
        open: async () => {
          // the first open may take the download's feed; a reopen (it restarted) reads the stored blob
          const streamed = opened ? undefined : await options.open?.(layer.digest);
          opened = true;
          if (streamed) return streamed;
          await ready(layer.digest);
          return store.content.openChunks(layer.digest);
        },
        reopen: (err) => err instanceof LayerFeedRestarted,
      });
      // not unpacked here (its snapshot exists): its feed, if any, must not wait for a reader
      done.then((r) => r.unpacked || options.skip?.(layer.digest), () => undefined); // awaited in order below
      started.push({ layer, done });
    }
    for (const { layer, done } of started) {
      const { unpacked } = await done;
      // the blob is stored (so its download reported done) before the layer is shown complete
      await ready(layer.digest);
      if (unpacked) options.onLayerUnpacked?.(layer.digest, layer.size);
    }
    await batch.commit();
  } finally {
    await batch.abort();
  }
}

/**
 * Records `name@<index digest>` as a repo digest of the platform image
 * pulled from that index, as Docker does: `docker images --digests` and
 * `RepoDigests` name the index a multi-arch tag points at, not the
 * platform's manifest. The store's `add` accepts only references to the
 * manifest it holds, so this edits the record directly (under the lock).
 */
export async function addIndexRepoDigest(store: Store, manifestDigest: string, ref: ImageReference): Promise<void> {
  const repoDigest = `${ref.name}@${validateDigest(ref.digest ?? '')}`;
  await store.images.update((index) => {
    const img = index.images[manifestDigest];
    if (!img || img.repoDigests.includes(repoDigest)) return;
    index.images[manifestDigest] = { ...img, repoDigests: [...img.repoDigests, repoDigest].sort() };
  });
}
