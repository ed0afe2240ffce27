/**
 * Diff: a container's upper directory → a layer tarball with OCI whiteouts,
 * the inverse of unpacking. Overlay whiteouts (character devices 0/0) become
 * `.wh.<name>` entries, opaque directories (`trusted.overlay.opaque=y`) get
 * a `.wh..wh..opq` entry, hard links within the upper dir become tar hard
 * links. Entries are sorted by name and every header field comes from the
 * file's metadata, so the same upper dir always gives the same bytes.
 */
import { createReadStream, promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Digester, OciMediaType, type Digest } from '@berth/spec';
import { listXattrs, getXattr } from '@berth/sys';
import type { ContentStore } from './content';
import { LayerError } from './errors';
import { encodeHeader, padding, trailer, type WriteHeader } from './tar/writer';
import { OPAQUE_WHITEOUT, OPAQUE_XATTR, WHITEOUT_PREFIX } from './unpack';

/** An entry's xattrs for the tar, and overlay's own attributes apart. */
function xattrsOf(file: string): { xattrs: Map<string, Buffer>; overlay: Set<string> } {
  const xattrs = new Map<string, Buffer>();
  const overlay = new Set<string>();
  let names: string[];
  try {
    names = listXattrs(file);
  } catch {
    return { xattrs, overlay };
  }
  for (const name of names.sort()) {
    if (name.startsWith('trusted.overlay.')) overlay.add(name);
    else xattrs.set(name, getXattr(file, name));
  }
  return { xattrs, overlay };
}

function devNumbers(rdev: number): { devmajor: number; devminor: number } {
  // glibc's gnu_dev_major/minor for the 32-bit values Node exposes
  return { devmajor: ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff), devminor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) };
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function meta(st: Stats): Pick<WriteHeader, 'mode' | 'uid' | 'gid' | 'mtime'> {
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
}

/** The layer tar of an upper directory, as a stream of chunks. */
export async function* diffTar(upper: string): AsyncGenerator<Buffer> {
  const links = new Map<string, string>();

  async function* walk(rel: string): AsyncGenerator<Buffer> {
    const dir = rel === '' ? upper : path.join(upper, rel);
    const names = (await fs.readdir(dir)).sort(byBytes);
    for (const name of names) {
      const entry = rel === '' ? name : `${rel}/${name}`;
      const abs = path.join(upper, entry);
      const st = await fs.lstat(abs);
      if (st.isCharacterDevice() && st.rdev === 0) {
        const whiteout = rel === '' ? `${WHITEOUT_PREFIX}${name}` : `${rel}/${WHITEOUT_PREFIX}${name}`;
        yield encodeHeader({ name: whiteout, type: 'file', ...meta(st), mode: 0o644 });
        continue;
      }
      const { xattrs, overlay } = xattrsOf(abs);
      for (const key of ['trusted.overlay.redirect', 'trusted.overlay.metacopy']) {
        if (overlay.has(key)) throw new LayerError(`${abs}: has ${key}; overlay redirect_dir and metacopy cannot be expressed as a layer`);
      }
      if (st.isDirectory()) {
        yield encodeHeader({ name: entry, type: 'dir', ...meta(st), xattrs });
        const opaque = overlay.has(OPAQUE_XATTR) && getXattr(abs, OPAQUE_XATTR).toString() === 'y';
        if (opaque) yield encodeHeader({ name: `${entry}/${OPAQUE_WHITEOUT}`, type: 'file', ...meta(st), mode: 0o644 });
        yield* walk(entry);
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? links.get(key) : undefined;
        if (first !== undefined) {
          yield encodeHeader({ name: entry, type: 'hardlink', linkname: first, ...meta(st) });
          continue;
        }
        if (st.nlink > 1) links.set(key, entry);
        yield encodeHeader({ name: entry, type: 'file', size: st.size, ...meta(st), xattrs });
        let sent = 0;
        for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20 })) {
          const buf = chunk as Buffer;
          const room = st.size - sent;
          if (room <= 0) break;
          const out = buf.length > room ? buf.subarray(0, room) : buf;
          sent += out.length;
          yield out;
        }
        if (sent !== st.size) throw new LayerError(`${abs}: changed size while being archived`);
        yield padding(st.size);
      } else if (st.isSymbolicLink()) {
        yield encodeHeader({ name: entry, type: 'symlink', linkname: await fs.readlink(abs), ...meta(st), xattrs });
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const type = st.isCharacterDevice() ? 'char' : 'block';
        yield encodeHeader({ name: entry, type, ...devNumbers(st.rdev), ...meta(st), xattrs });
      } else if (st.isFIFO()) {
        yield encodeHeader({ name: entry, type: 'fifo', ...meta(st), xattrs });
      }
      // sockets are not archived (neither Docker nor tar keep them)
    }
  }

  yield* walk('');
  yield trailer();
}

export interface DiffResult {
  /** Digest of the blob as stored (compressed if gzip). */
  readonly digest: Digest;
  readonly size: number;
  /** Digest of the uncompressed tar (the config's rootfs.diff_ids entry). */
  readonly diffId: Digest;
  readonly mediaType: string;
}

/** Diffs `upper` into a layer blob in the content store (gzip by default). */
export async function writeDiff(
  upper: string,
  content: ContentStore,
  options: { compression?: 'gzip' | 'none' } = {},
): Promise<DiffResult> {
  const diff = new Digester();
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of diffTar(upper)) {
      diff.update(chunk);
      yield chunk;
    }
  }
  if (options.compression === 'none') {
    const blob = await content.write(Readable.from(hashed()));
    return { ...blob, diffId: diff.digest(), mediaType: OciMediaType.Layer };
  }
  const gzip = createGzip({ level: 6 });
  const feeding = pipeline(Readable.from(hashed()), gzip);
  const [blob] = await Promise.all([content.write(gzip), feeding]);
  return { ...blob, diffId: diff.digest(), mediaType: OciMediaType.LayerGzip };
}
