/**
 * Layer snapshots: each layer unpacked once, in overlay form, into
 * `snapshots/<chain ID hex>/fs` (see snapshotDirName), keyed by its chain ID (image-spec: the
 * chain ID of layer n is sha256(chainID(n-1) + " " + diffID(n))), so images
 * sharing a base share its snapshots. A snapshot is unpacked into a temp dir
 * and renamed into place only when complete, verified and synced to disk.
 * Processes unpacking the same layer at once take turns on a per-layer lock
 * (`locks/unpack-<hex>.lock`): the second finds the snapshot done and never
 * unpacks it again; were the lock broken (a dead holder), the loser of the
 * rename race still discards its copy harmlessly.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { digestOf, isDigest, parseDigest, validateDigest, type Digest } from '@berth/spec';
import { TEMP_PREFIX, tempName } from './atomic';
import { NotFoundError, StoreError } from './errors';
import { StoreLayout } from './layout';
import { acquireLock, type HeldLock } from './lock';
import { SnapshotBatch } from './snapshot-batch';
import { unpackLayer, type UnpackResult } from './unpack';

/** Chain IDs for a list of diff IDs, base first. */
export function chainIds(diffIds: readonly string[]): Digest[] {
  const out: Digest[] = [];
  for (const diffId of diffIds) {
    const d = validateDigest(diffId);
    out.push(out.length === 0 ? d : digestOf(`${out[out.length - 1]} ${d}`));
  }
  return out;
}

export interface SnapshotInfo {
  readonly chainId: Digest;
  readonly diffId: Digest;
  readonly parent: Digest | null;
  /** The layer blob it was unpacked from. */
  readonly layer: string;
  /** Bytes of file content in this snapshot. */
  readonly size: number;
  readonly created: string;
  /** The short link name under `l/` (for long lowerdir lists). */
  readonly link: string;
}

export interface LayerSource {
  readonly chainId: Digest;
  readonly diffId: Digest;
  readonly parent: Digest | null;
  /** Names the layer in errors and in the snapshot's metadata (its blob digest). */
  readonly layer: string;
  /** Opens the (compressed or not) layer blob. */
  open(): Promise<LayerStream>;
  /**
   * After an unpack from `open()` failed with `err`: whether to unpack again
   * from a fresh `open()` (a download streamed into the unpack restarted, so
   * the next open reads the stored blob).
   */
  reopen?(err: unknown): boolean;
}

/** A layer's bytes as `LayerSource.open` gives them. */
export type LayerStream = AsyncIterable<Uint8Array> & {
  /** Stops reading early (closes the file, lets a download go on without the unpack). */
  destroy?: () => void;
  /**
   * For bytes still arriving (a download): settles once they are all known
   * good (the blob verified and stored); the unpack is kept only if it resolves.
   */
  verified?: Promise<void>;
};

/**
 * The directory name of a snapshot: the hex of its chain ID, prefixed by the
 * algorithm when it is not sha256 (a base layer's chain ID is its diff ID,
 * which may in principle be sha512).
 */
export function snapshotDirName(chainId: string): string {
  const { algorithm, hex } = parseDigest(chainId);
  return algorithm === 'sha256' ? hex : `${algorithm}-${hex}`;
}

/** The chain ID a snapshot directory name stands for; undefined for anything else. */
export function chainIdOfDirName(name: string): Digest | undefined {
  const m = /^(?:(sha512)-)?([0-9a-f]+)$/.exec(name);
  if (!m) return undefined;
  const digest = `${m[1] ?? 'sha256'}:${m[2]}`;
  return isDigest(digest) ? digest : undefined;
}

/** Short, fixed-length name for a snapshot's `l/` link: no ':' or ',' and much shorter than the full path. */
export function shortLinkName(chainId: string): string {
  return createHash('sha256').update(chainId).digest('hex').slice(0, 16);
}

/** A layer unpacked into a temp dir, waiting for its sync and rename. */
export interface PendingSnapshot {
  readonly tmp: string;
  readonly info: SnapshotInfo;
  readonly result: UnpackResult;
}

/** How long an unpack waits for another process unpacking the same layer (a big layer on a slow disk). */
const UNPACK_LOCK_TIMEOUT_MS = 30 * 60_000;

export class Snapshots {
  readonly layout: StoreLayout;

  constructor(layout: StoreLayout) {
    this.layout = layout;
  }

  dir(chainId: string): string {
    return this.layout.snapshot(snapshotDirName(chainId));
  }

  /** The overlay lowerdir of a snapshot. */
  fsPath(chainId: string): string {
    return path.join(this.dir(chainId), 'fs');
  }

  linkPath(chainId: string): string {
    return path.join(this.layout.links, shortLinkName(chainId));
  }

  async get(chainId: string): Promise<SnapshotInfo | undefined> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.dir(chainId), 'meta.json'), 'utf8')) as SnapshotInfo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StoreError('ERR_BERTH_STORE_CORRUPT', `snapshot ${chainId}: unreadable meta.json: ${(err as Error).message}`);
    }
  }

  async has(chainId: string): Promise<boolean> {
    return (await this.get(chainId)) !== undefined;
  }

  /**
   * Unpacks the layer unless its snapshot exists. The parent must exist
   * already (unpack child after parent). Returns the snapshot and whether it
   * was unpacked by this call.
   */
  async ensure(source: LayerSource): Promise<{ info: SnapshotInfo; unpacked: UnpackResult | undefined }> {
    const batch = this.batch();
    try {
      const r = await batch.ensure(source);
      await batch.commit();
      return r;
    } finally {
      await batch.abort();
    }
  }

  /** Snapshots unpacked together and made durable by one sync (see SnapshotBatch). */
  batch(): SnapshotBatch {
    return new SnapshotBatch(this);
  }

  /** The existing snapshot, its link made; undefined if there is none. */
  async existing(chainId: string): Promise<SnapshotInfo | undefined> {
    const info = await this.get(chainId);
    if (info) await this.ensureLink(chainId);
    return info;
  }

  /** Checks that a snapshot's chain ID follows from its parent and diff ID. */
  checkChain(source: LayerSource): void {
    const expectedChain = source.parent === null ? source.diffId : digestOf(`${source.parent} ${source.diffId}`);
    if (expectedChain !== source.chainId) {
      throw new StoreError(
        'ERR_BERTH_STORE_BAD_CHAIN',
        `snapshot ${source.chainId} does not follow from parent ${source.parent ?? '(none)'} and diff ID ${source.diffId}`,
      );
    }
  }

  /** Takes the per-layer unpack lock (another process unpacking the same layer holds it until its rename). */
  async lockUnpack(chainId: string): Promise<HeldLock> {
    await fs.mkdir(this.layout.snapshots, { recursive: true });
    const locks = path.join(this.layout.root, 'locks');
    await fs.mkdir(locks, { recursive: true });
    return acquireLock(path.join(locks, `unpack-${snapshotDirName(chainId)}.lock`), { timeoutMs: UNPACK_LOCK_TIMEOUT_MS });
  }

  /**
   * Unpacks a layer into a new temp dir (with its meta.json), not synced and
   * not renamed. `lowers` (the parents' fs dirs, top first) may be a function
   * that waits for parents still being unpacked: it is called at the end.
   */
  async unpackToTemp(
    source: LayerSource,
    lowers: readonly string[] | (() => Promise<readonly string[]>),
    tmp = tempName(this.layout.snapshots),
  ): Promise<PendingSnapshot> {
    for (;;) {
      try {
        return await this.unpackOnce(source, lowers, tmp);
      } catch (err) {
        if (!source.reopen?.(err)) throw err;
      }
    }
  }

  private async unpackOnce(
    source: LayerSource,
    lowers: readonly string[] | (() => Promise<readonly string[]>),
    tmp: string,
  ): Promise<PendingSnapshot> {
    let stream: LayerStream | undefined;
    try {
      await fs.mkdir(path.join(tmp, 'fs'), { recursive: true, mode: 0o755 });
      await fs.chmod(path.join(tmp, 'fs'), 0o755);
      stream = await source.open();
      const result = await unpackLayer(stream, path.join(tmp, 'fs'), { layer: source.layer, diffId: source.diffId, lowers });
      // bytes unpacked as they downloaded count only once the blob checked out
      await stream.verified;
      const info: SnapshotInfo = {
        chainId: source.chainId,
        diffId: source.diffId,
        parent: source.parent,
        layer: source.layer,
        size: result.contentSize,
        created: new Date().toISOString(),
        link: shortLinkName(source.chainId),
      };
      // no fsync of its own: the batch's syncfs makes the whole snapshot durable before its rename
      await fs.writeFile(path.join(tmp, 'meta.json'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
      return { tmp, info, result };
    } catch (err) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw err;
    } finally {
      // a gzip stream can end before its blob does (trailing bytes): the file is closed either way
      stream?.destroy?.();
    }
  }

  /**
   * Renames a synced temp snapshot into place. If another process finished
   * the same snapshot first, ours is discarded and theirs returned.
   */
  async publish(pending: PendingSnapshot): Promise<SnapshotInfo | undefined> {
    try {
      await fs.rename(pending.tmp, this.dir(pending.info.chainId));
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await fs.rm(pending.tmp, { recursive: true, force: true });
      const theirs = await this.get(pending.info.chainId);
      if (!theirs) throw err;
      return theirs;
    }
  }

  /** A snapshot and its ancestors, top first. */
  async ancestry(chainId: string): Promise<Digest[]> {
    const out: Digest[] = [];
    let next: string | null = chainId;
    while (next !== null) {
      const info = await this.get(next);
      if (!info) throw new NotFoundError(`snapshot ${next} is missing`);
      out.push(info.chainId);
      next = info.parent;
      if (out.length > 1000) throw new StoreError('ERR_BERTH_STORE_CORRUPT', `snapshot ${chainId}: parent chain loops`);
    }
    return out;
  }

  /** The `l/<short>` → `../snapshots/<hex>/fs` link, made if missing. */
  async ensureLink(chainId: string): Promise<string> {
    const link = this.linkPath(chainId);
    const target = path.relative(this.layout.links, this.fsPath(chainId));
    await fs.mkdir(this.layout.links, { recursive: true });
    try {
      await fs.symlink(target, link);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const current = await fs.readlink(link);
      if (current !== target) {
        throw new StoreError('ERR_BERTH_STORE_CORRUPT', `short link ${link} points at ${current}, expected ${target}`);
      }
    }
    return link;
  }

  /** Every complete snapshot (temp dirs excluded). */
  async list(): Promise<SnapshotInfo[]> {
    const names = await fs.readdir(this.layout.snapshots).catch(() => [] as string[]);
    const out: SnapshotInfo[] = [];
    for (const name of names) {
      const chainId = name.startsWith(TEMP_PREFIX) ? undefined : chainIdOfDirName(name);
      if (chainId === undefined) continue;
      const info = await this.get(chainId).catch(() => undefined);
      if (info) out.push(info);
    }
    return out;
  }

  /** Removes a snapshot and its short link (children must be removed first; the caller checks). */
  async remove(chainId: string): Promise<void> {
    await fs.rm(this.linkPath(chainId), { force: true });
    const dir = this.dir(chainId);
    // rename first so a half-deleted snapshot never looks complete
    const doomed = tempName(this.layout.snapshots, 'rm-');
    try {
      await fs.rename(dir, doomed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await fs.rm(doomed, { recursive: true, force: true });
  }
}
