import { encodeTarHeader, tarPadding, tarTrailer, type WriteHeader } from '@berth/spec';

export type TarSpec = Partial<WriteHeader> & { name: string; data?: Buffer };

/** A tar archive in memory from entries (regular files by default; data sets the size). */
export function tarOf(entries: readonly TarSpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const { data, ...h } of entries) {
    const body = data ?? Buffer.alloc(0);
    const type = h.type ?? 'file';
    parts.push(encodeTarHeader({ ...h, type, size: type === 'file' ? body.length : 0 }));
    if (type === 'file' && body.length > 0) parts.push(body, tarPadding(body.length));
  }
  parts.push(tarTrailer());
  return Buffer.concat(parts);
}
