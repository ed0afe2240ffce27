/**
 * A small deterministic tar writer (ustar, with PAX records for long names),
 * enough for fixture layers and `docker save` tarballs. Every header field
 * comes from the entry, never from the clock or the filesystem, so the same
 * entries always give the same bytes.
 */
import { gzipSync, constants as zlib } from 'node:zlib';

export type TarEntry =
  | { type: 'dir'; path: string; mode?: number; mtime?: number; uid?: number; gid?: number }
  | { type: 'file'; path: string; data: Uint8Array | string; mode?: number; mtime?: number; uid?: number; gid?: number }
  | { type: 'symlink'; path: string; target: string; mtime?: number; uid?: number; gid?: number }
  | { type: 'hardlink'; path: string; target: string; mtime?: number; uid?: number; gid?: number };

/** 2024-01-01T00:00:00Z: the mtime of every fixture file and the `created` of every fixture image. */
export const FIXTURE_EPOCH = 1_704_067_200;
export const FIXTURE_CREATED = new Date(FIXTURE_EPOCH * 1000).toISOString().replace('.000Z', 'Z');

const BLOCK = 512;
const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', dir: '5' } as const;

/** Serialises entries, in the order given, into a complete tar archive. */
export function createTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const name = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
    const linkname = entry.type === 'symlink' || entry.type === 'hardlink' ? entry.target : '';
    const data = entry.type === 'file' ? toBuffer(entry.data) : Buffer.alloc(0);
    const mode = entry.type === 'symlink' ? 0o777 : (('mode' in entry ? entry.mode : undefined) ?? (entry.type === 'dir' ? 0o755 : 0o644));
    const common = { mode, uid: entry.uid ?? 0, gid: entry.gid ?? 0, mtime: entry.mtime ?? FIXTURE_EPOCH };

    const split = splitUstarName(name);
    const pax: Record<string, string> = {};
    if (split === undefined) pax.path = name;
    if (Buffer.byteLength(linkname) > 100) pax.linkpath = linkname;
    if (Object.keys(pax).length > 0) {
      const records = Buffer.from(Object.entries(pax).map(([k, v]) => paxRecord(k, v)).join(''));
      const paxName = `PaxHeaders/${name.replace(/\/$/, '').split('/').pop() ?? 'x'}`.slice(0, 100);
      parts.push(header({ ...common, mode: 0o644, name: paxName, prefix: '', size: records.length, typeflag: 'x', linkname: '' }));
      parts.push(records, padding(records.length));
    }
    const fitted = split ?? { name: name.slice(0, 100), prefix: '' };
    parts.push(
      header({
        ...common,
        ...fitted,
        size: data.length,
        typeflag: TYPEFLAG[entry.type],
        linkname: linkname.slice(0, 100),
      }),
    );
    if (data.length > 0) parts.push(data, padding(data.length));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** gzip with a fixed header (mtime 0, no name) and level, so equal input gives equal output. */
export function gzipDeterministic(data: Uint8Array): Buffer {
  return gzipSync(data, { level: 6, memLevel: 8, strategy: zlib.Z_DEFAULT_STRATEGY });
}

interface Header {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
}

function header(h: Header): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode);
  octal(b, 108, 8, h.uid);
  octal(b, 116, 8, h.gid);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, h.mtime);
  b.fill(' ', 148, 156); // checksum is computed with its own field as spaces
  b.write(h.typeflag, 156, 1, 'ascii');
  b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 6, 'ascii');
  b.write('00', 263, 2, 'ascii');
  octal(b, 329, 8, 0); // devmajor
  octal(b, 337, 8, 0); // devminor
  b.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return b;
}

function octal(b: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new RangeError(`tar: ${value} does not fit in ${length - 1} octal digits`);
  b.write(`${digits.padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}

/** ustar splits long names into prefix (155) + "/" + name (100); undefined if it cannot. */
function splitUstarName(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return { name, prefix };
  }
  return undefined;
}

/** A PAX record is "<len> <key>=<value>\n" where <len> counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body);
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

function toBuffer(data: Uint8Array | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
