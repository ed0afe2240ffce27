/**
 * Several snapshots made durable by one sync: each layer is unpacked into a
 * temp dir (its parent may be one still pending in the same batch, so an
 * image's layers unpack one after another without waiting on the disk), and
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
import { fsyncDir } from './atomic';
import { NotFoundError } from './errors';
import type { HeldLock } from './lock';
import type { LayerSource, PendingSnapshot, SnapshotInfo, Snapshots } from './snapshots';
import { syncTrees } from './sync';
import type { UnpackResult } from './unpack';

export class SnapshotBatch {
  private readonly pending = new Map<string, PendingSnapshot & { lock: HeldLock }>();
  private readonly locks: HeldLock[] = [];

  constructor(private readonly snapshots: Snapshots) {}

  /**
   * Unpacks the layer unless its snapshot exists (or is pending here). The
   * parent must exist or be pending in this batch.
   */
  async ensure(source: LayerSource): Promise<{ info: SnapshotInfo; unpacked: UnpackResult | undefined }> {
    const mine = this.pending.get(source.chainId);
    if (mine) return { info: mine.info, unpacked: undefined };
    const existing = await this.snapshots.existing(source.chainId);
    if (existing) return { info: existing, unpacked: undefined };
    if (source.parent !== null && !this.pending.has(source.parent) && !(await this.snapshots.has(source.parent))) {
      throw new NotFoundError(`snapshot ${source.chainId}: parent snapshot ${source.parent} is missing (unpack the parent first)`);
    }
    this.snapshots.checkChain(source);
    const lock = await this.snapshots.lockUnpack(source.chainId);
    let pending: PendingSnapshot;
    try {
      // whoever held the lock before us may have unpacked it
      const done = await this.snapshots.existing(source.chainId);
      if (done) {
        await lock.release();
        return { info: done, unpacked: undefined };
      }
      pending = await this.snapshots.unpackToTemp(source, await this.lowers(source.parent));
    } catch (err) {
      await lock.release();
      throw err;
    }
    this.locks.push(lock);
    this.pending.set(source.chainId, { ...pending, lock });
    return { info: pending.info, unpacked: pending.result };
  }

  /** The parent's fs directory and its ancestors', top first, pending ones at their temp paths. */
  private async lowers(parent: string | null): Promise<string[]> {
    const out: string[] = [];
    let next = parent;
    while (next !== null) {
      const p = this.pending.get(next);
      if (!p) return [...out, ...(await this.snapshots.ancestry(next)).map((c) => this.snapshots.fsPath(c))];
      out.push(path.join(p.tmp, 'fs'));
      next = p.info.parent;
    }
    return out;
  }

  /** One sync for every pending snapshot, then their renames (in unpack order: base first). */
  async commit(): Promise<void> {
    const pending = [...this.pending.values()];
    if (pending.length === 0) return;
    await syncTrees(pending.map((p) => p.tmp));
    for (const p of pending) {
      await this.snapshots.publish(p);
      this.pending.delete(p.info.chainId);
    }
    await fsyncDir(this.snapshots.layout.snapshots);
    for (const p of pending) await this.snapshots.ensureLink(p.info.chainId);
    await this.releaseLocks();
  }

  /** Discards what is still pending and releases the locks (a no-op after commit). */
  async abort(): Promise<void> {
    for (const p of this.pending.values()) await fs.rm(p.tmp, { recursive: true, force: true });
    this.pending.clear();
    await this.releaseLocks();
  }

  private async releaseLocks(): Promise<void> {
    for (const lock of this.locks.splice(0)) await lock.release();
  }
}
