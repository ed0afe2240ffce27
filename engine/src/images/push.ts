/** `berth push`: an image from the store to a registry; the pushed digest becomes a repo digest. */
import { pushImage, type ProgressEvent, type RegistryClient } from '@berth/registry-client';
import type { ImageReference } from '@berth/spec';
import type { Store } from '@berth/store';
import type { PullListener } from './pull';
import { StoreContent } from './store-content';

export interface PushResult {
  digest: string;
  size: number;
}

export async function pushFromStore(
  store: Store,
  client: RegistryClient,
  ref: ImageReference,
  listener?: PullListener,
): Promise<PushResult> {
  const entry = await store.images.get(ref.toString());
  if (!entry) throw new Error(`An image does not exist locally with the tag: ${ref.familiarName}`);
  const manifest = await store.manifest(entry.digest);
  const layers = new Set<string>(manifest.layers.map((l) => l.digest));
  for (const l of manifest.layers) listener?.layer(l.digest, 'preparing', 0, l.size);
  const onProgress = (e: ProgressEvent): void => {
    if (!listener || !layers.has(e.digest)) return;
    if (e.state === 'uploading') listener.layer(e.digest, 'pushing', e.done, e.total);
    else if (e.state === 'done') listener.layer(e.digest, 'pushed', e.total, e.total);
    else if (e.state === 'exists') listener.layer(e.digest, 'layer-exists', e.total, e.total);
    else if (e.state === 'mounted') listener.layer(e.digest, 'mounted', e.total, e.total);
  };
  const desc = { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
  const digest = await pushImage(client, new StoreContent(store), desc, ref, { onProgress });
  // As Docker: after a push, `name@digest` is one of the image's RepoDigests.
  if (digest === entry.digest) await store.images.add(entry, [ref.withoutTagOrDigest().withDigest(digest)]);
  return { digest, size: entry.size };
}
