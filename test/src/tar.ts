/**
 * Deterministic tar archives for fixture layers and `docker save` tarballs,
 * written with @berth/spec's tar writer. Every header field comes from the
 * entry, never from the clock or the filesystem, so the same entries always
 * give the same bytes (and the fixtures' digests never move).
 */
import { gzipSync, constants as zlib } from 'node:zlib';
import { encodeTarHeader, tarPadding, tarTrailer, type WriteHeader } from '@berth/spec';

export type TarEntry =
  | { type: 'dir'; path: string; mode?: number; mtime?: number; uid?: number; gid?: number }
  | { type: 'file'; path: string; data: Uint8Array | string; mode?: number; mtime?: number; uid?: number; gid?: number }
  | { type: 'symlink'; path: string; target: string; mtime?: number; uid?: number; gid?: number }
  | { type: 'hardlink'; path: string; target: string; mtime?: number; uid?: number; gid?: number };

/** 2024-01-01T00:00:00Z: the mtime of every fixture file and the `created` of every fixture image. */
export const FIXTURE_EPOCH = 1_704_067_200;
export const FIXTURE_CREATED = new Date(FIXTURE_EPOCH * 1000).toISOString().replace('.000Z', 'Z');

/** Serialises entries, in the order given, into a complete tar archive. */
export function createTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? toBuffer(entry.data) : Buffer.alloc(0);
    const mode = entry.type === 'symlink' ? 0o777 : (('mode' in entry ? entry.mode : undefined) ?? (entry.type === 'dir' ? 0o755 : 0o644));
    const header: WriteHeader = {
      name: entry.path,
      type: entry.type,
      mode,
      uid: entry.uid ?? 0,
      gid: entry.gid ?? 0,
      mtime: entry.mtime ?? FIXTURE_EPOCH,
      size: data.length,
      linkname: entry.type === 'symlink' || entry.type === 'hardlink' ? entry.target : '',
    };
    parts.push(encodeTarHeader(header, 'fixture'));
    if (data.length > 0) parts.push(data, tarPadding(data.length));
  }
  parts.push(tarTrailer());
  return Buffer.concat(parts);
}

/** gzip with a fixed header (mtime 0, no name) and level, so equal input gives equal output. */
export function gzipDeterministic(data: Uint8Array): Buffer {
  return gzipSync(data, { level: 6, memLevel: 8, strategy: zlib.Z_DEFAULT_STRATEGY });
}

function toBuffer(data: Uint8Array | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
