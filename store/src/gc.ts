/**
 * Reference counting by reachability, as containerd does it: everything
 * reachable from an image in the index (manifest → config → layers, an image
 * index → its manifests; config diff IDs → snapshot chain IDs with their
 * ancestors), from a container root filesystem (its snapshots), or from a
 * live lease is kept; every other blob and snapshot is removed. Runs under
 * the store lock from listing to sweeping.
 */
import { promises as fs } from 'node:fs';
import { imageConfig, type Digest } from '@berth/spec';
import { readLeases } from './lease';
import { withLock } from './lock';
import { chainIds } from './snapshots';
import type { Store } from './store';

export interface GcResult {
  readonly blobs: readonly Digest[];
  readonly snapshots: readonly Digest[];
  /** Bytes of blob files and snapshot content removed. */
  readonly bytesFreed: number;
}

interface Reachable {
  blobs: Set<string>;
  snapshots: Set<string>;
}

/** What the index, the root filesystems and live leases keep (call under the store lock). */
export async function reachable(store: Store): Promise<Reachable> {
  const blobs = new Set<string>();
  const snapshots = new Set<string>();
  const { live } = await readLeases(store.layout);
  for (const d of live) {
    blobs.add(d);
    snapshots.add(d);
  }

  const visit = async (digest: string, depth: number): Promise<void> => {
    if (blobs.has(digest) && depth > 0) return;
    blobs.add(digest);
    if (depth > 8 || !(await store.content.has(digest))) return;
    let doc: { manifests?: { digest: string }[]; config?: { digest: string }; layers?: { digest: string }[] };
    try {
      doc = JSON.parse((await store.content.readBytes(digest)).toString('utf8')) as typeof doc;
    } catch {
      return;
    }
    for (const m of doc.manifests ?? []) await visit(m.digest, depth + 1);
    if (doc.config && Array.isArray(doc.layers)) {
      blobs.add(doc.config.digest);
      for (const l of doc.layers) blobs.add(l.digest);
      try {
        const config = imageConfig.parse(await store.content.readBytes(doc.config.digest));
        for (const c of chainIds(config.rootfs.diff_ids)) snapshots.add(c);
      } catch {
        // a missing or broken config keeps nothing more; `check` reports it
      }
    }
  };
  for (const img of await store.images.list()) await visit(img.digest, 0);

  for (const r of await store.rootfs.list()) for (const s of r.snapshots) snapshots.add(s);
  // ancestors of every kept snapshot stay too
  for (const s of [...snapshots]) {
    let info = await store.snapshots.get(s);
    while (info?.parent) {
      snapshots.add(info.parent);
      info = await store.snapshots.get(info.parent);
    }
  }
  return { blobs, snapshots };
}

/** Sweeps what nothing reaches; call under the store lock. */
export async function gcLocked(store: Store, options: { dryRun?: boolean } = {}): Promise<GcResult> {
  // list before marking: anything written later is protected by a lease or an index entry
  const allBlobs = await store.content.list();
  const allSnapshots = await store.snapshots.list();
  const keep = await reachable(store);
  const blobs: Digest[] = [];
  const snaps: Digest[] = [];
  let bytesFreed = 0;
  for (const b of allBlobs) {
    if (keep.blobs.has(b.digest)) continue;
    if (!options.dryRun) await store.content.delete(b.digest);
    blobs.push(b.digest);
    bytesFreed += b.size;
  }
  // children first, so a crash midway never leaves a child without its parent
  const doomed = allSnapshots.filter((s) => !keep.snapshots.has(s.chainId));
  const depth = (s: { parent: string | null }): number => {
    let n = 0;
    let p = s.parent;
    while (p !== null) {
      n++;
      p = doomed.find((d) => d.chainId === p)?.parent ?? null;
    }
    return n;
  };
  doomed.sort((a, b) => depth(b) - depth(a));
  for (const s of doomed) {
    if (!options.dryRun) await store.snapshots.remove(s.chainId);
    snaps.push(s.chainId);
    bytesFreed += s.size;
  }
  if (!options.dryRun) {
    for (const dead of (await readLeases(store.layout)).dead) await fs.rm(dead, { force: true });
  }
  return { blobs, snapshots: snaps, bytesFreed };
}

export async function gc(store: Store, options: { dryRun?: boolean } = {}): Promise<GcResult> {
  return withLock(store.layout.lock, () => gcLocked(store, options), { timeoutMs: store.lockTimeoutMs });
}

export interface PruneResult extends GcResult {
  /** Images removed from the index. */
  readonly images: readonly Digest[];
}

/**
 * `berth image prune`: removes dangling images (with `all`, every image no
 * container uses) from the index, then collects garbage, all under one lock.
 */
export async function pruneImages(store: Store, options: { all?: boolean } = {}): Promise<PruneResult> {
  return withLock(
    store.layout.lock,
    async () => {
      const used = new Set<string>();
      for (const r of await store.rootfs.list()) used.add(r.snapshots[r.snapshots.length - 1]);
      const candidates = (await store.images.list()).filter((img) => options.all || img.tags.length === 0);
      const images: Digest[] = [];
      for (const img of candidates) {
        const chain = await store.imageChainIds(img.digest).catch(() => [] as Digest[]);
        const top = chain[chain.length - 1];
        if (top !== undefined && used.has(top)) continue;
        images.push(img.digest);
      }
      if (images.length > 0) {
        await store.images.updateLocked((index) => {
          for (const d of images) {
            delete index.images[d];
            for (const [tag, target] of Object.entries(index.tags)) if (target === d) delete index.tags[tag];
          }
        });
      }
      const collected = await gcLocked(store);
      return { ...collected, images };
    },
    { timeoutMs: store.lockTimeoutMs },
  );
}
