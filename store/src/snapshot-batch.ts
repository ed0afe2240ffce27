/**
 * Several snapshots made durable by one sync: each layer is unpacked into a
 * temp dir (its parent may be one still pending in the same batch, so an
 * image's layers unpack side by side without waiting on the disk), and
 * `commit` syncs the filesystem once, then renames them into place base
 * first and syncs the snapshots directory. Crash semantics as for one
 * snapshot: nothing has its final name before its data is on disk; a crash
 * before the renames leaves only temp dirs (which `check` removes), one
 * during them leaves complete base snapshots with no image naming them yet.
 * The batch holds each layer's unpack lock until its rename, taking them
 * base first, as every unpack does, so two batches cannot deadlock.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fsyncDir, tempName } from './atomic';
import { NotFoundError } from './errors';
import type { HeldLock } from './lock';
import type { LayerSource, PendingSnapshot, SnapshotInfo, Snapshots } from './snapshots';
import { syncTrees } from './sync';
import type { UnpackResult } from './unpack';

interface Pending {
  readonly tmp: string;
  readonly parent: string | null;
  readonly lock: HeldLock;
  /** Settles when the layer is unpacked into `tmp` (or failed: `tmp` is gone then). */
  readonly done: Promise<PendingSnapshot>;
}

export class SnapshotBatch {
  private readonly pending = new Map<string, Pending>();
  private readonly locks: HeldLock[] = [];

  constructor(private readonly snapshots: Snapshots) {}

  /**
   * Unpacks the layer unless its snapshot exists (or is pending here). The
   * parent must exist or be pending in this batch.
   */
  async ensure(source: LayerSource): Promise<{ info: SnapshotInfo; unpacked: UnpackResult | undefined }> {
    return (await this.begin(source)).done;
  }

  /**
   * Starts unpacking the layer unless its snapshot exists (or is pending
   * here) and returns once its unpack lock is held: call it base first, as
   * every unpack takes its locks, and the layers then unpack side by side
   * (a child's directories that only its parents list take their attributes
   * at the end of its unpack, once the parents are complete). The parent
   * must exist or be pending in this batch. `done` settles when the layer is
   * unpacked (`unpacked` undefined when it was there already).
   */
  async begin(source: LayerSource): Promise<{ done: Promise<{ info: SnapshotInfo; unpacked: UnpackResult | undefined }> }> {
    const mine = this.pending.get(source.chainId);
    if (mine) return { done: mine.done.then((p) => ({ info: p.info, unpacked: undefined })) };
    const existing = await this.snapshots.existing(source.chainId);
    if (existing) return { done: Promise.resolve({ info: existing, unpacked: undefined }) };
    if (source.parent !== null && !this.pending.has(source.parent) && !(await this.snapshots.has(source.parent))) {
      throw new NotFoundError(`snapshot ${source.chainId}: parent snapshot ${source.parent} is missing (unpack the parent first)`);
    }
    this.snapshots.checkChain(source);
    const lock = await this.snapshots.lockUnpack(source.chainId);
    try {
      // whoever held the lock before us may have unpacked it
      const done = await this.snapshots.existing(source.chainId);
      if (done) {
        await lock.release();
        return { done: Promise.resolve({ info: done, unpacked: undefined }) };
      }
    } catch (err) {
      await lock.release();
      throw err;
    }
    this.locks.push(lock);
    const tmp = tempName(this.snapshots.layout.snapshots);
    const parent = source.parent;
    const unpacking = this.snapshots.unpackToTemp(source, () => this.lowers(parent), tmp);
    unpacking.catch(() => undefined); // the caller awaits `done`; commit and abort settle it
    this.pending.set(source.chainId, { tmp, parent, lock, done: unpacking });
    return { done: unpacking.then((p) => ({ info: p.info, unpacked: p.result })) };
  }

  /** The parent's fs directory and its ancestors', top first, pending ones at their temp paths once unpacked. */
  private async lowers(parent: string | null): Promise<string[]> {
    const out: string[] = [];
    let next = parent;
    while (next !== null) {
      const p = this.pending.get(next);
      if (!p) return [...out, ...(await this.snapshots.ancestry(next)).map((c) => this.snapshots.fsPath(c))];
      await p.done;
      out.push(path.join(p.tmp, 'fs'));
      next = p.parent;
    }
    return out;
  }

  /** One sync for every pending snapshot, then their renames (in unpack order: base first). */
  async commit(): Promise<void> {
    if (this.pending.size === 0) return;
    const pending = await Promise.all([...this.pending.values()].map((p) => p.done));
    await syncTrees(pending.map((p) => p.tmp));
    for (const p of pending) {
      await this.snapshots.publish(p);
      this.pending.delete(p.info.chainId);
    }
    await fsyncDir(this.snapshots.layout.snapshots);
    for (const p of pending) await this.snapshots.ensureLink(p.info.chainId);
    await this.releaseLocks();
  }

  /** Waits for the unpacks under way, discards what is still pending and releases the locks (a no-op after commit). */
  async abort(): Promise<void> {
    await Promise.allSettled([...this.pending.values()].map((p) => p.done));
    for (const p of this.pending.values()) await fs.rm(p.tmp, { recursive: true, force: true });
    this.pending.clear();
    await this.releaseLocks();
  }

  private async releaseLocks(): Promise<void> {
    for (const lock of this.locks.splice(0)) await lock.release();
  }
}
