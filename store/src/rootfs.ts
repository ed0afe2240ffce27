/**
 * Container root filesystems: an overlay of layer snapshots (lowerdirs, top
 * first) under a per-container upper and work dir, in `rootfs/<id>/`.
 *
 * Mount data must fit in one page (the kernel copies a page). With many
 * layers the full lowerdir paths do not, so, like Docker's overlay2, we fall
 * back to the short links under `l/`: first as absolute paths, and when even
 * that is too long, as paths relative to the store root, mounting with the
 * process's working directory there for the duration of the (synchronous)
 * mount call.
 */
import { chmodSync, mkdirSync, promises as fs, readdirSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { MNT, mount, umount2, SysError } from '@berth/sys';
import { validateDigest, type Digest } from '@berth/spec';
import { tempName, writeFileAtomic } from './atomic';
import { NotFoundError, StoreError } from './errors';
import { StoreLayout } from './layout';
import { withLock } from './lock';
import { Snapshots } from './snapshots';

/** The kernel copies at most one page of mount data, NUL included. */
export const MOUNT_DATA_MAX = 4095;

export interface RootfsInfo {
  readonly id: string;
  /** Snapshots, base first. */
  readonly snapshots: readonly Digest[];
  readonly created: string;
}

export interface RootfsPaths {
  readonly dir: string;
  readonly upper: string;
  readonly work: string;
  readonly merged: string;
}

export type LowerdirStyle = 'full' | 'short' | 'relative';

export interface MountOptions {
  /**
   * Mount with overlayfs's `volatile` (Linux 5.10+): no syncs to the upper
   * dir, so unmounting skips syncing the filesystem under the store. For
   * throwaway containers (`--rm`) only: after a crash the upper dir cannot be
   * mounted again. Kernels without the option mount without it.
   */
  volatile?: boolean;
}

export interface CreateOptions {
  /**
   * The root filesystem goes with its container (`--rm`): meta.json is written
   * atomically but not fsynced (a file and a directory fsync on the start path,
   * 1-50 ms here under others' writes). After a crash a lost meta.json leaves an
   * incomplete root filesystem, which `berth system check` removes; a volatile
   * overlay could not be mounted again anyway.
   */
  throwaway?: boolean;
}

/** umount2(2): do not dereference a symlink at the target (Linux 2.6.34+). */
const UMOUNT_NOFOLLOW = 8;

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Deletes a directory tree (a missing one is no error) synchronously, without
 * following symlinks: one readdir per directory (its entries' types come with
 * it), an unlink per file, an rmdir per directory. `fs.rm` takes a thread-pool
 * round trip per step (lstat, a failing rmdir, readdir, ...): for a container's
 * small dirs 5-12 ms against ~2 ms, more under load. Callers are commands that
 * have nothing else to do meanwhile.
 */
export function removeTree(dir: string): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') return unlinkSync(dir);
    throw err;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) removeTree(p);
    else unlinkSync(p);
  }
  rmdirSync(dir);
}

/** Whether `target` is a mount point, from /proc/self/mountinfo (octal escapes decoded). */
export function isMountPoint(target: string): boolean {
  const want = path.resolve(target);
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const line of info.split('\n')) {
    const point = line.split(' ')[4];
    if (point !== undefined && point.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) === want) {
      return true;
    }
  }
  return false;
}

export class RootfsManager {
  readonly layout: StoreLayout;
  readonly snapshots: Snapshots;

  private readonly lockTimeoutMs: number | undefined;

  constructor(layout: StoreLayout, snapshots = new Snapshots(layout), options: { lockTimeoutMs?: number } = {}) {
    this.layout = layout;
    this.snapshots = snapshots;
    this.lockTimeoutMs = options.lockTimeoutMs;
  }

  paths(id: string): RootfsPaths {
    if (!ID.test(id)) throw new StoreError('ERR_BERTH_STORE_BAD_ID', `invalid root filesystem id ${JSON.stringify(id)}`);
    const dir = path.join(this.layout.rootfs, id);
    return { dir, upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), merged: path.join(dir, 'merged') };
  }

  /** Creates the directories and records which snapshots the root filesystem uses (so GC keeps them). */
  async create(id: string, snapshots: readonly string[], options: CreateOptions = {}): Promise<RootfsPaths> {
    // under the store lock, so GC sees either no root filesystem or one that keeps its snapshots
    return withLock(this.layout.lock, () => this.createLocked(id, snapshots, options), { timeoutMs: this.lockTimeoutMs });
  }

  private async createLocked(id: string, snapshots: readonly string[], options: CreateOptions): Promise<RootfsPaths> {
    const p = this.paths(id);
    if (snapshots.length === 0) throw new StoreError('ERR_BERTH_STORE_BAD_ID', `root filesystem ${id}: an image needs at least one layer`);
    for (const chainId of snapshots) {
      if (!(await this.snapshots.has(chainId))) throw new NotFoundError(`root filesystem ${id}: snapshot ${chainId} is not in the store`);
    }
    // Synchronously: a few directories and one small file, each a thread-pool round trip with
    // fs.promises (the snapshot checks above and the fsyncs of writeFileAtomic stay async).
    try {
      mkdirSync(p.dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new StoreError('ERR_BERTH_STORE_EXISTS', `root filesystem ${id} already exists`);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(this.layout.rootfs, { recursive: true, mode: 0o700 });
      mkdirSync(p.dir, { mode: 0o700 });
    }
    mkdirSync(p.upper, 0o755);
    mkdirSync(p.work, 0o700);
    mkdirSync(p.merged, 0o755);
    // the upper dir's mode is the container's "/": 0755 whatever our umask
    chmodSync(p.upper, 0o755);
    chmodSync(p.merged, 0o755);
    const info: RootfsInfo = { id, snapshots: snapshots.map((s) => validateDigest(s)), created: new Date().toISOString() };
    const meta = `${JSON.stringify(info, null, 2)}\n`;
    if (options.throwaway) {
      // temp + rename: GC and `list` never read a torn file
      const tmp = tempName(p.dir, 'meta.json-');
      writeFileSync(tmp, meta, { flag: 'wx', mode: 0o644 });
      renameSync(tmp, path.join(p.dir, 'meta.json'));
    } else {
      await writeFileAtomic(path.join(p.dir, 'meta.json'), meta);
    }
    return p;
  }

  async get(id: string): Promise<RootfsInfo | undefined> {
    try {
      return JSON.parse(readFileSync(path.join(this.paths(id).dir, 'meta.json'), 'utf8')) as RootfsInfo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(): Promise<RootfsInfo[]> {
    const names = await fs.readdir(this.layout.rootfs).catch(() => [] as string[]);
    const out: RootfsInfo[] = [];
    for (const name of names) {
      if (!ID.test(name)) continue;
      const info = await this.get(name).catch(() => undefined);
      if (info) out.push(info);
    }
    return out;
  }

  /**
   * The overlay mount data for a root filesystem, and which lowerdir style
   * fitted; `relative` data must be used with the store root as cwd.
   */
  async mountData(id: string, options: MountOptions = {}): Promise<{ data: string; style: LowerdirStyle }> {
    const info = await this.get(id);
    if (!info) throw new NotFoundError(`no root filesystem ${id}`);
    const p = this.paths(id);
    const top = [...info.snapshots].reverse();
    for (const chainId of top) await this.snapshots.ensureLink(chainId);
    const build = (lowers: string[], upper: string, work: string): string =>
      `lowerdir=${lowers.join(':')},upperdir=${upper},workdir=${work}${options.volatile ? ',volatile' : ''}`;
    const full = build(top.map((c) => this.snapshots.fsPath(c)), p.upper, p.work);
    const candidates: [LowerdirStyle, string][] = [
      ['full', full],
      ['short', build(top.map((c) => this.snapshots.linkPath(c)), p.upper, p.work)],
      [
        'relative',
        build(
          top.map((c) => path.relative(this.layout.root, this.snapshots.linkPath(c))),
          path.relative(this.layout.root, p.upper),
          path.relative(this.layout.root, p.work),
        ),
      ],
    ];
    for (const [style, data] of candidates) {
      if (/[,:]/.test(this.layout.root) && style !== 'relative') continue; // such paths would split the option list
      if (Buffer.byteLength(data) <= MOUNT_DATA_MAX) return { data, style };
    }
    throw new StoreError(
      'ERR_BERTH_STORE_TOO_MANY_LAYERS',
      `root filesystem ${id}: ${top.length} layers do not fit in overlay mount data even with short links`,
    );
  }

  /** Mounts the overlay at `merged` (idempotent). */
  async mount(id: string, options: MountOptions = {}): Promise<RootfsPaths & { style: LowerdirStyle }> {
    const p = this.paths(id);
    if (options.volatile) {
      try {
        return await this.mountWith(id, p, options);
      } catch (err) {
        // a kernel before 5.10 does not know the option
        if (!(err instanceof SysError && err.errno === 'EINVAL')) throw err;
      }
    }
    return this.mountWith(id, p, {});
  }

  private async mountWith(id: string, p: RootfsPaths, options: MountOptions): Promise<RootfsPaths & { style: LowerdirStyle }> {
    const { data, style } = await this.mountData(id, options);
    if (isMountPoint(p.merged)) return { ...p, style };
    if (style === 'relative') {
      // overlay resolves relative lowerdirs against the caller's cwd; nothing else runs on
      // this thread between the two chdir calls, since mount() is synchronous
      const cwd = process.cwd();
      process.chdir(this.layout.root);
      try {
        mount('overlay', p.merged, 'overlay', 0, data);
      } finally {
        process.chdir(cwd);
      }
    } else {
      mount('overlay', p.merged, 'overlay', 0, data);
    }
    return { ...p, style };
  }

  /**
   * Unmounts if mounted; a busy mount is detached (lazy unmount) rather than left behind.
   * umount2 itself says "not a mount point" (EINVAL) or "no such dir" (ENOENT), so
   * /proc/self/mountinfo is not read first. A symlink at `merged` is not followed.
   */
  async unmount(id: string): Promise<void> {
    const { merged } = this.paths(id);
    try {
      umount2(merged, UMOUNT_NOFOLLOW);
    } catch (err) {
      if (err instanceof SysError && err.errno === 'EBUSY') umount2(merged, MNT.DETACH | UMOUNT_NOFOLLOW);
      else if (!(err instanceof SysError && (err.errno === 'EINVAL' || err.errno === 'ENOENT'))) throw err;
    }
  }

  /** Unmounts and deletes the root filesystem (upper dir included). */
  async remove(id: string): Promise<void> {
    await this.unmount(id);
    const { dir } = this.paths(id);
    try {
      removeTree(dir);
    } catch {
      // something changed under us (ENOTEMPTY from a concurrent writer): fs.rm retries
      await fs.rm(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  }
}
