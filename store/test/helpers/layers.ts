import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { listXattrs, getXattr } from '@berth/sys';
import { encodeHeader, padding, trailer, type WriteHeader } from '../../src/tar/writer';

export type LayerEntry = WriteHeader & { data?: string | Buffer };

/** A layer tarball from entries (files get their size from data). */
export function layerTar(entries: readonly LayerEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const { data, ...h } of entries) {
    const body = data === undefined ? Buffer.alloc(0) : Buffer.from(data);
    parts.push(encodeHeader({ mtime: 1_704_067_200, ...h, size: body.length }));
    if (h.type === 'file' && body.length > 0) parts.push(body, padding(body.length));
  }
  parts.push(trailer());
  return Buffer.concat(parts);
}

export interface TreeEntry {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  target?: string;
  rdev?: string;
  xattrs?: Record<string, string>;
}

/**
 * Every entry under `root` keyed by relative path, with what the
 * differential tests compare: type, mode, owner, size and content hash,
 * link target, device numbers, xattrs (overlay's own excluded).
 */
export function describeTree(root: string, options: { mtime?: boolean } = {}): Record<string, TreeEntry & { mtime?: number }> {
  const out: Record<string, TreeEntry & { mtime?: number }> = {};
  const walk = (rel: string): void => {
    const abs = rel === '' ? root : path.join(root, rel);
    const st = lstatSync(abs);
    const type = st.isDirectory()
      ? 'dir'
      : st.isFile()
        ? 'file'
        : st.isSymbolicLink()
          ? 'symlink'
          : st.isCharacterDevice()
            ? 'char'
            : st.isBlockDevice()
              ? 'block'
              : st.isFIFO()
                ? 'fifo'
                : 'other';
    const entry: TreeEntry & { mtime?: number } = { type, mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid };
    if (type === 'file') {
      entry.size = st.size;
      entry.sha256 = createHash('sha256').update(readFileSync(abs)).digest('hex');
    }
    if (type === 'symlink') {
      entry.target = readlinkSync(abs);
      delete (entry as Partial<TreeEntry>).mode; // symlink modes are not meaningful on Linux
    }
    if (type === 'char' || type === 'block') entry.rdev = `${Math.floor(st.rdev / 256)}:${st.rdev % 256}`;
    const names = listXattrs(abs).filter((n) => !n.startsWith('trusted.overlay.')).sort();
    if (names.length > 0) entry.xattrs = Object.fromEntries(names.map((n) => [n, getXattr(abs, n).toString('hex')]));
    if (options.mtime) entry.mtime = Math.floor(st.mtimeMs / 1000);
    if (rel !== '') out[rel] = entry;
    if (type === 'dir') for (const name of readdirSync(abs).sort()) walk(rel === '' ? name : `${rel}/${name}`);
  };
  walk('');
  return out;
}
