/**
 * Unpacks one layer tarball into an empty directory in overlayfs form: the
 * directory becomes a lowerdir, so OCI whiteouts become overlay whiteouts
 * (`.wh.NAME` → character device 0/0 named NAME; `.wh..wh..opq` → the
 * directory gets `trusted.overlay.opaque=y`).
 *
 * Safety: the tree being built is tracked in memory, so every entry's parent
 * chain is checked against what this layer created: an absolute name, a `..`
 * component, a parent that is a symlink, or a hard link whose target is
 * outside (or not in) the layer is refused with BreakoutError naming the
 * entry. Nothing is ever opened through a symlink: files are created with
 * O_EXCL, metadata calls use the l* variants. The caller unpacks into a temp
 * directory and renames it only on success.
 */
import {
  chmodSync,
  closeSync,
  constants as C,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import { Digester, DigestMismatchError, parseDigest, validateDigest, type Digest } from '@berth/spec';
import { S_IF, getXattr, mknod, setXattr } from '@berth/sys';
import { decompress, type Compression } from './decompress';
import { ASYNC_WRITE_MIN, FileWrites } from './file-writes';
import { BreakoutError, LayerError } from './errors';
import { readTar, type TarHeader } from './tar/reader';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

export interface UnpackOptions {
  /** Names the layer in errors (its digest, usually). */
  readonly layer: string;
  /** The uncompressed digest the config's rootfs.diff_ids lists; checked at the end. */
  readonly diffId?: string;
  /**
   * The parent snapshots' directories, top first. A directory this layer
   * needs but does not list (`a/b/file` without `a/b/`) takes the attributes
   * it has below, because in overlay the upper layer's copy of a directory
   * is the one the container sees. Looked up once the layer's own entries
   * are all in, so a function may wait for parents still being unpacked.
   */
  readonly lowers?: readonly string[] | (() => Promise<readonly string[]>);
}

export interface UnpackResult {
  readonly diffId: Digest;
  /** Uncompressed size of the tar. */
  readonly tarSize: number;
  readonly compression: Compression;
  readonly entries: number;
  /** Bytes of regular file content (the snapshot's size for `df`, before sharing). */
  readonly contentSize: number;
}

type Kind = 'dir' | 'file' | 'symlink' | 'whiteout' | 'other';

interface DirMeta {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

function isOpaque(dir: string): boolean {
  try {
    return getXattr(dir, OPAQUE_XATTR).toString() === 'y';
  } catch {
    return false;
  }
}

/** Splits and checks an archive name; undefined for the root (`./`). */
function entryParts(name: string, layer: string, shown = name): string[] {
  if (name.startsWith('/')) throw new BreakoutError(layer, shown, 'has an absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new BreakoutError(layer, shown, 'has a ".." path component');
  return parts;
}

class Unpacker {
  private readonly tree = new Map<string, Kind>();
  private readonly dirs = new Map<string, DirMeta>();
  /** Directories this layer implies but does not list: their attributes come from below, at finish. */
  private readonly implied = new Set<string>();
  private lowers: readonly string[] = [];
  contentSize = 0;
  private readonly writes = new FileWrites();
  /** Who owns what this process creates here; `sure` when that holds for every directory below root. */
  private readonly owner: { uid: number; gid: number; sure: boolean };

  constructor(
    private readonly root: string,
    private readonly layer: string,
  ) {
    const uid = process.geteuid?.() ?? -1;
    const gid = process.getegid?.() ?? -1;
    this.owner = { uid, gid, sure: lstatSync(root).gid === gid };
  }

  /**
   * The attributes of directory `rel` as the lower layers show it, found by
   * lstat one component at a time (never following a symlink); undefined if
   * it is not a directory there (missing, whited out, hidden by an opaque dir).
   */
  private async lowerDir(rel: string): Promise<DirMeta | undefined> {
    const parts = rel.split('/');
    for (const lower of this.lowers) {
      let here = lower;
      for (let i = 0; i < parts.length; i++) {
        here = path.join(here, parts[i]);
        const st = lstatSync(here, { throwIfNoEntry: false });
        if (!st) {
          // missing here: look further down, unless an ancestor in this layer is opaque
          const parent = path.dirname(here);
          if (i > 0 && isOpaque(parent)) return undefined;
          break;
        }
        if (!st.isDirectory()) return undefined; // a whiteout, symlink or file hides the rest
        if (i === parts.length - 1) return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtimeMs / 1000 };
      }
    }
    return undefined;
  }

  private abs(rel: string): string {
    return path.join(this.root, rel);
  }

  /** Makes sure every parent of `parts` is a real directory created by this layer. */
  private async parents(parts: string[], entry: string): Promise<string> {
    let rel = '';
    for (let i = 0; i < parts.length - 1; i++) {
      rel = rel === '' ? parts[i] : `${rel}/${parts[i]}`;
      const kind = this.tree.get(rel);
      if (kind === 'dir') continue;
      if (kind === 'symlink') throw new BreakoutError(this.layer, entry, `has a parent "${rel}" that is a symlink`);
      if (kind !== undefined) throw new LayerError(`${this.layer}: entry "${entry}": parent "${rel}" is not a directory`, entry);
      mkdirSync(this.abs(rel), 0o755);
      this.tree.set(rel, 'dir');
      // 0755 whatever the umask; from below at finish when a lower layer has it
      chmodSync(this.abs(rel), 0o755);
      this.implied.add(rel);
    }
    return rel;
  }

  /** Removes what an earlier entry of this layer put at `rel` (a later entry replaces it). */
  private async replace(rel: string): Promise<void> {
    const kind = this.tree.get(rel);
    if (kind === undefined) return;
    rmSync(this.abs(rel), { recursive: true, force: true });
    this.tree.delete(rel);
    if (kind === 'dir') {
      const prefix = `${rel}/`;
      for (const key of [...this.tree.keys()]) if (key.startsWith(prefix)) this.tree.delete(key);
      for (const key of [...this.dirs.keys()]) if (key === rel || key.startsWith(prefix)) this.dirs.delete(key);
      for (const key of [...this.implied]) if (key === rel || key.startsWith(prefix)) this.implied.delete(key);
    }
  }

  async entry(h: TarHeader, body: AsyncIterable<Buffer>): Promise<void> {
    const parts = entryParts(h.name, this.layer);
    if (parts.length === 0) return; // the layer root: the snapshot root keeps its own metadata
    const base = parts[parts.length - 1];
    const parent = await this.parents(parts, h.name);
    const join = (name: string): string => (parent === '' ? name : `${parent}/${name}`);

    if (base.startsWith(WHITEOUT_PREFIX)) {
      if (base === OPAQUE_WHITEOUT) {
        // the directory itself may come later in the archive; record it and set the xattr now
        setXattr(parent === '' ? this.root : this.abs(parent), OPAQUE_XATTR, Buffer.from('y'));
        return;
      }
      if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // aufs bookkeeping (.wh..wh.plnk ...)
      const hidden = base.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..') throw new BreakoutError(this.layer, h.name, 'is a whiteout of an invalid name');
      const rel = join(hidden);
      await this.replace(rel);
      mknod(this.abs(rel), S_IF.CHR | 0o000, 0, 0);
      if (this.chownNeeded(h)) lchownSync(this.abs(rel), h.uid, h.gid);
      this.tree.set(rel, 'whiteout');
      return;
    }

    const rel = join(base);
    const target = this.abs(rel);
    if (!(h.type === 'dir' && this.tree.get(rel) === 'dir')) await this.replace(rel);

    switch (h.type) {
      case 'dir': {
        if (!this.tree.has(rel)) mkdirSync(target, 0o700);
        this.tree.set(rel, 'dir');
        this.implied.delete(rel);
        this.dirs.set(rel, { mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime });
        this.xattrs(target, h);
        return;
      }
      case 'file': {
        const fd = openSync(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        if (h.size >= ASYNC_WRITE_MIN && h.xattrs.size === 0) {
          // big file: written from the thread pool; metadata and close follow its writes
          this.writes.open(fd);
          let written = 0;
          for await (const chunk of body) {
            await this.writes.write(fd, chunk, written);
            written += chunk.length;
          }
          this.contentSize += written;
          this.writes.close(fd, (d) => this.fileMeta(d, h));
          this.tree.set(rel, 'file');
          return;
        }
        try {
          let written = 0;
          for await (const chunk of body) {
            for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off, written + off);
            written += chunk.length;
          }
          this.contentSize += written;
          this.fileMeta(fd, h);
          // after chown, which drops security.capability
          this.xattrs(target, h);
        } finally {
          closeSync(fd);
        }
        this.tree.set(rel, 'file');
        return;
      }
      case 'symlink': {
        symlinkSync(h.linkname, target);
        this.tree.set(rel, 'symlink');
        if (this.chownNeeded(h)) lchownSync(target, h.uid, h.gid);
        this.xattrs(target, h);
        lutimesSync(target, h.mtime, h.mtime);
        return;
      }
      case 'hardlink': {
        const linkParts = entryParts(h.linkname, this.layer, h.name);
        if (linkParts.length === 0) throw new BreakoutError(this.layer, h.name, 'is a hard link to the layer root');
        const linkRel = linkParts.join('/');
        for (let i = 1; i < linkParts.length; i++) {
          const p = linkParts.slice(0, i).join('/');
          const through = this.tree.get(p);
          if (through === undefined) {
            throw new BreakoutError(this.layer, h.name, `is a hard link to "${h.linkname}", which is not in this layer`);
          }
          if (through !== 'dir') throw new BreakoutError(this.layer, h.name, `is a hard link through "${p}", which is a ${through}`);
        }
        const kind = this.tree.get(linkRel);
        if (kind === undefined) throw new BreakoutError(this.layer, h.name, `is a hard link to "${h.linkname}", which is not in this layer`);
        if (kind === 'dir' || kind === 'whiteout') {
          throw new LayerError(`${this.layer}: entry "${h.name}" is a hard link to "${h.linkname}", which is a ${kind}`, h.name);
        }
        linkSync(this.abs(linkRel), target);
        this.tree.set(rel, kind);
        return;
      }
      case 'char':
      case 'block':
      case 'fifo': {
        const type = h.type === 'char' ? S_IF.CHR : h.type === 'block' ? S_IF.BLK : S_IF.FIFO;
        mknod(target, type | (h.mode & 0o777), h.devmajor, h.devminor);
        this.tree.set(rel, 'other');
        lchownSync(target, h.uid, h.gid);
        chmodSync(target, h.mode);
        this.xattrs(target, h);
        lutimesSync(target, h.mtime, h.mtime);
        return;
      }
    }
  }

  /** Owner, mode and mtime of a regular file, by descriptor. */
  private fileMeta(fd: number, h: TarHeader): void {
    // chown before chmod: chown clears setuid/setgid
    if (this.chownNeeded(h)) fchownSync(fd, h.uid, h.gid);
    fchmodSync(fd, h.mode);
    futimesSync(fd, h.mtime, h.mtime);
  }

  /**
   * Whether a new entry needs a chown: not when it already has the owner the
   * header asks for (root unpacking a root-owned file, the usual case). A new
   * file's group is the process's, or its directory's (setgid directory,
   * `grpid` mount); every directory here descends from the root, so when the
   * root's group is the process's, both give the process's.
   */
  private chownNeeded(h: { uid: number; gid: number }): boolean {
    return !(h.uid === this.owner.uid && h.gid === this.owner.gid && this.owner.sure);
  }

  private xattrs(target: string, h: TarHeader): void {
    for (const [name, value] of h.xattrs) {
      // overlay's own attributes would let a layer forge opaque dirs or redirects: never taken from a tar
      if (name.startsWith('trusted.overlay.')) continue;
      setXattr(target, name, value);
    }
  }

  /** Waits for the file writes in flight and closes their files (an unpack that failed). */
  async settle(): Promise<void> {
    await this.writes.settle();
  }

  /**
   * Directory modes, owners and mtimes last, deepest first, so creating
   * children does not undo them; implied directories take theirs from
   * `lowers` (complete by now).
   */
  async finish(lowers: UnpackOptions['lowers']): Promise<void> {
    await this.writes.drain();
    if (this.implied.size > 0 && lowers !== undefined) {
      this.lowers = typeof lowers === 'function' ? await lowers() : lowers;
      for (const rel of this.implied) {
        const below = this.lowers.length > 0 ? await this.lowerDir(rel) : undefined;
        if (below) this.dirs.set(rel, below);
      }
    }
    const dirs = [...this.dirs.entries()].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
    for (const [rel, meta] of dirs) {
      const target = this.abs(rel);
      if (this.chownNeeded(meta)) lchownSync(target, meta.uid, meta.gid);
      chmodSync(target, meta.mode);
      lutimesSync(target, meta.mtime, meta.mtime);
    }
  }
}

/**
 * Unpacks a layer (gzip, zstd or plain tar, by magic) into `dest`, an empty
 * directory. Throws LayerError / BreakoutError / DigestMismatchError; on
 * error `dest` holds a partial tree that the caller must remove.
 */
export async function unpackLayer(
  source: AsyncIterable<Uint8Array>,
  dest: string,
  options: UnpackOptions,
): Promise<UnpackResult> {
  const { layer } = options;
  const expected = options.diffId === undefined ? undefined : validateDigest(options.diffId);
  const { compression, data } = await decompress(source, layer);
  const digester = new Digester(expected === undefined ? 'sha256' : parseDigest(expected).algorithm);
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of data) {
      digester.update(chunk);
      yield chunk;
    }
  }
  const unpacker = new Unpacker(dest, layer);
  let entries = 0;
  try {
    for await (const { header, body } of readTar(hashed(), layer)) {
      await unpacker.entry(header, body);
      entries++;
    }
  } catch (err) {
    // no write may land (and no descriptor stay open) after the caller removes dest
    await unpacker.settle();
    throw err;
  } finally {
    // stops a decompressor (zstd child, gunzip) that an error left mid-stream
    await data.return(undefined);
  }
  await unpacker.finish(options.lowers);
  const diffId = digester.digest();
  if (expected !== undefined && diffId !== expected) throw new DigestMismatchError(expected, diffId, `layer ${layer} (diff ID)`);
  return { diffId, tarSize: digester.size, compression, entries, contentSize: unpacker.contentSize };
}
