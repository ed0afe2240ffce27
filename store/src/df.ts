/**
 * `berth system df` figures: images (size = their unpacked snapshots, or
 * the compressed layers when not unpacked; shared = what other images use
 * too), container root filesystems (their upper dirs), and what pruning
 * unused images would reclaim.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Digest } from '@berth/spec';
import type { Store } from './store';

export interface ImageUsage {
  readonly digest: Digest;
  readonly tags: readonly string[];
  /** Bytes of the image's layers (unpacked where unpacked). */
  readonly size: number;
  /** Part of `size` that other images share. */
  readonly sharedSize: number;
  /** Root filesystems (containers) made from this image. */
  readonly containers: number;
}

export interface DiskUsage {
  readonly images: readonly ImageUsage[];
  readonly containers: readonly { readonly id: string; readonly size: number }[];
  readonly totals: {
    readonly images: { total: number; active: number; size: number; reclaimable: number };
    readonly containers: { total: number; size: number };
    /** Everything under blobs/ and snapshots/ (what is on disk, shared or not). */
    readonly blobs: { count: number; size: number };
    readonly snapshots: { count: number; size: number };
  };
}

/** Bytes of file content under a directory, each inode once. */
export async function directorySize(dir: string): Promise<number> {
  const seen = new Set<number>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const st = await fs.lstat(p);
        if (!seen.has(st.ino)) {
          seen.add(st.ino);
          total += st.size;
        }
      }
    }
  };
  await walk(dir);
  return total;
}

export async function diskUsage(store: Store): Promise<DiskUsage> {
  const snapshots = new Map((await store.snapshots.list()).map((s) => [s.chainId as string, s]));
  const blobs = await store.content.list();
  const blobSize = new Map(blobs.map((b) => [b.digest as string, b.size]));
  const rootfs = await store.rootfs.list();
  const tops = rootfs.map((r) => r.snapshots[r.snapshots.length - 1]);

  // per image: its layers as (key, size) pairs, key = chain ID (shared between images by construction)
  const images = await store.images.list();
  const layersOf = new Map<string, { key: string; size: number }[]>();
  const users = new Map<string, number>();
  for (const img of images) {
    const parts: { key: string; size: number }[] = [];
    try {
      const m = await store.manifest(img.digest);
      const chain = await store.imageChainIds(img.digest);
      chain.forEach((c, i) => {
        const snap = snapshots.get(c);
        parts.push({ key: c, size: snap ? snap.size : (blobSize.get(m.layers[i]?.digest ?? '') ?? 0) });
      });
    } catch {
      // an image whose manifest or config is missing counts as empty; `check` reports it
    }
    layersOf.set(img.digest, parts);
    for (const p of parts) users.set(p.key, (users.get(p.key) ?? 0) + 1);
  }
  const usage: ImageUsage[] = images.map((img) => {
    const parts = layersOf.get(img.digest) ?? [];
    const chain = parts.map((p) => p.key);
    return {
      digest: img.digest,
      tags: img.tags,
      size: parts.reduce((n, p) => n + p.size, 0),
      sharedSize: parts.filter((p) => (users.get(p.key) ?? 0) > 1).reduce((n, p) => n + p.size, 0),
      containers: tops.filter((t) => t !== undefined && t === chain[chain.length - 1]).length,
    };
  });
  // reclaimable: layers that only unused images hold
  const activeKeys = new Set<string>();
  for (const u of usage) if (u.containers > 0) for (const p of layersOf.get(u.digest) ?? []) activeKeys.add(p.key);
  const counted = new Set<string>();
  let imagesSize = 0;
  let reclaimable = 0;
  for (const parts of layersOf.values()) {
    for (const p of parts) {
      if (counted.has(p.key)) continue;
      counted.add(p.key);
      imagesSize += p.size;
      if (!activeKeys.has(p.key)) reclaimable += p.size;
    }
  }
  const containers = await Promise.all(
    rootfs.map(async (r) => ({ id: r.id, size: await directorySize(store.rootfs.paths(r.id).upper) })),
  );
  return {
    images: usage,
    containers,
    totals: {
      images: { total: images.length, active: usage.filter((u) => u.containers > 0).length, size: imagesSize, reclaimable },
      containers: { total: containers.length, size: containers.reduce((n, c) => n + c.size, 0) },
      blobs: { count: blobs.length, size: blobs.reduce((n, b) => n + b.size, 0) },
      snapshots: { count: snapshots.size, size: [...snapshots.values()].reduce((n, s) => n + s.size, 0) },
    },
  };
}
