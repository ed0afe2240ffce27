/**
 * Naming an image whose blobs are in the content store: its layers are
 * unpacked into snapshots first (each once), then the index entry is
 * written, so a name never points at an incomplete image. Shared by pull
 * and load.
 */
import { isIndexMediaType, selectPlatform, type Descriptor, type ImageIndex } from '@berth/registry-client';
import { validateDigest, type ImageReference } from '@berth/spec';
import { chainIds, type ImageEntry, type Lease, type Store } from '@berth/store';

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
  const config = await store.config(m.config.digest);
  const diffIds = config.rootfs.diff_ids.map((d) => validateDigest(d));
  const chain = chainIds(diffIds);
  await lease.protect(...chain);
  for (const [i, layer] of m.layers.entries()) {
    const { unpacked } = await store.snapshots.ensure({
      chainId: chain[i],
      diffId: diffIds[i],
      parent: i === 0 ? null : chain[i - 1],
      layer: layer.digest,
      open: () => store.content.open(layer.digest),
    });
    if (unpacked) onLayerUnpacked?.(layer.digest, layer.size);
  }
  return store.images.add(
    { digest: validateDigest(manifest.digest), mediaType: manifest.mediaType, size: manifest.size, config: m.config.digest },
    refs,
  );
}
