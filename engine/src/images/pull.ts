/**
 * `berth pull`: an image from a registry into the store: blobs (under a
 * lease, so a concurrent GC cannot take them), layer snapshots, then the
 * index entry last, so an image is named only once it is complete.
 */
import { pullImage, type ImageManifest, type ProgressEvent, type PulledImage, type RegistryClient } from '@berth/registry-client';
import type { ImageReference } from '@berth/spec';
import type { Store } from '@berth/store';
import { BlobArrivals } from './arrivals';
import { LayerFeeds } from './layer-feed';
import { addIndexRepoDigest, recordImage, registerImage, unpackLayers } from './register';
import { StoreContent } from './store-content';

export type LayerStatus =
  | 'pulling'
  | 'exists'
  | 'downloading'
  | 'verifying'
  | 'downloaded'
  | 'extracting'
  | 'complete'
  | 'preparing'
  | 'pushing'
  | 'pushed'
  | 'layer-exists'
  | 'mounted';

export interface PullListener {
  /** A layer's state changed or it made progress (bytes done of total). */
  layer(digest: string, status: LayerStatus, done: number, total: number): void;
}

export interface PullResult {
  /** The digest Docker shows on the `Digest:` line (the index's, when the tag names one). */
  digest: string;
  manifestDigest: string;
  /** False when the tag already named this image. */
  updated: boolean;
}

/**
 * undici's HTTP parser is WebAssembly, and after a process's first request V8
 * compiles it again with TurboFan: ~220 ms of CPU and ~6,800 page faults
 * (docs/performance.md, registry). A pull sends only a few small requests
 * through undici (blobs from plain-HTTP registries go through the client's
 * direct reads), so Liftoff's code is plenty. Set before the first request
 * of the process, and only once: it applies to every later WebAssembly
 * compile of the process, and undici's parser is the only one berth makes.
 */
let liftoffOnly = false;
function preferLiftoff(): void {
  if (liftoffOnly) return;
  liftoffOnly = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a pull runs
  (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--liftoff-only');
}

export async function pullIntoStore(
  store: Store,
  client: RegistryClient,
  ref: ImageReference,
  options: { platform?: string; listener?: PullListener } = {},
): Promise<PullResult> {
  preferLiftoff();
  const before = await store.images.get(ref.toString());
  return store.withLease(async (lease) => {
    // Layers unpack as they download, side by side (each from its download's feed, or the stored blob).
    const feeds = new LayerFeeds();
    const arrivals = new BlobArrivals();
    const sink = new StoreContent(store, (d) => lease.protect(d), feeds);
    const listener = options.listener;
    // The first blob the pull announces is the image config, which Docker does not show as a layer.
    let config: string | undefined;
    const onProgress = (e: ProgressEvent): void => {
      config ??= e.digest;
      if (e.digest === config || !listener) return;
      const status: LayerStatus | undefined = {
        waiting: 'pulling',
        exists: 'exists',
        mounted: 'exists',
        downloading: 'downloading',
        uploading: undefined,
        retrying: 'downloading',
        done: 'downloaded',
      }[e.state] as LayerStatus | undefined;
      if (status === 'downloaded') listener.layer(e.digest, 'verifying', e.done, e.total);
      if (status) listener.layer(e.digest, status, e.done, e.total);
    };
    let unpacking: Promise<void> | undefined;
    const onManifest = (m: ImageManifest): void => {
      // one lease write for the image's blobs, not one per blob as each download starts (each
      // takes the store lock); the writers' own protect calls then find them protected
      lease.protect(m.config.digest, ...m.layers.map((l) => l.digest)).catch(() => {}); // a failure fails the first writer
      for (const l of m.layers) feeds.want(l.digest);
      unpacking = unpackLayers(store, lease, m, {
        ready: (d) => arrivals.wait(d),
        open: (d) => feeds.take(d, () => arrivals.wait(d)),
        skip: (d) => feeds.drop(d),
        onLayerUnpacked: (layer, size) => listener?.layer(layer, 'complete', size, size),
      });
      // once the unpack is over (or failed), no download waits for it
      unpacking.then(
        () => feeds.close(),
        () => feeds.close(),
      ); // awaited below; a failure stops nothing already in flight
    };
    let pulled: PulledImage;
    try {
      pulled = await pullImage(client, ref, sink, {
        platform: options.platform,
        onProgress,
        onManifest,
        onBlob: (d) => arrivals.arrived(d),
      });
    } catch (err) {
      arrivals.fail(err);
      await unpacking?.catch(() => {});
      throw err;
    }
    arrivals.end();
    await unpacking;
    const manifestDigest = pulled.descriptor.digest;
    const digest = pulled.indexDigest ?? manifestDigest;
    const refs: ImageReference[] = ref.digest === undefined ? [ref] : [];
    if (digest === manifestDigest) refs.push(ref.withoutTagOrDigest().withDigest(digest));
    const complete = (layer: string, size: number): void => listener?.layer(layer, 'complete', size, size);
    // the layers of pulled.manifest (the one onManifest unpacked) are in their snapshots, under the lease
    if (unpacking) await recordImage(store, pulled.descriptor, pulled.manifest.config.digest, refs);
    else await registerImage(store, lease, pulled.descriptor, refs, complete);
    // A tag naming an index: Docker's RepoDigests name the index, not the platform's manifest.
    if (digest !== manifestDigest) await addIndexRepoDigest(store, manifestDigest, ref.withoutTagOrDigest().withDigest(digest));
    return { digest, manifestDigest, updated: before?.digest !== manifestDigest };
  });
}
