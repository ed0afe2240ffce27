/**
 * A tar writer for layers: ustar headers, with a PAX header in front when a
 * name or link target is too long, a number does not fit, or the entry has
 * extended attributes (`SCHILY.xattr.<name>`, as Docker and BuildKit write
 * them). Output depends only on the headers given, so equal trees give equal
 * bytes.
 */
import type { TarEntryType, TarHeader } from './reader';

const BLOCK = 512;
const FLAGS: Readonly<Record<TarEntryType, string>> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

export type WriteHeader = Pick<TarHeader, 'name' | 'type'> & Partial<Omit<TarHeader, 'name' | 'type'>>;

export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The end-of-archive marker: two zero blocks. */
export function trailer(): Buffer {
  return Buffer.alloc(BLOCK * 2);
}

/** The header block(s) of one entry (PAX extension first when needed). Data and padding follow separately. */
export function encodeHeader(h: WriteHeader): Buffer {
  const size = h.type === 'file' ? (h.size ?? 0) : 0;
  const full = { mode: 0o644, uid: 0, gid: 0, mtime: 0, linkname: '', devmajor: 0, devminor: 0, ...h, size };
  const name = full.type === 'dir' && !full.name.endsWith('/') ? `${full.name}/` : full.name;
  const pax: [string, Buffer][] = [];
  const split = splitName(name);
  if (!split) pax.push(['path', Buffer.from(name)]);
  if (Buffer.byteLength(full.linkname) > 100) pax.push(['linkpath', Buffer.from(full.linkname)]);
  const mtime = Math.floor(full.mtime);
  for (const [key, value, digits] of [['uid', full.uid, 7], ['gid', full.gid, 7], ['size', size, 11], ['mtime', mtime, 11]] as const) {
    if (value.toString(8).length > digits || value < 0) pax.push([key, Buffer.from(String(value))]);
  }
  for (const key of [...(full.xattrs?.keys() ?? [])].sort()) pax.push([`SCHILY.xattr.${key}`, full.xattrs!.get(key)!]);

  const blocks: Buffer[] = [];
  if (pax.length > 0) {
    const records = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)));
    const paxName = `PaxHeaders.0/${name.replace(/\/$/, '').split('/').pop() ?? ''}`.slice(0, 100);
    blocks.push(block({ ...full, name: paxName, prefix: '', size: records.length, flag: 'x', linkname: '', mode: 0o644 }));
    blocks.push(records, padding(records.length));
  }
  const fitted = split ?? { name: name.slice(0, 100), prefix: '' };
  blocks.push(block({ ...full, ...fitted, mtime, flag: FLAGS[full.type], linkname: full.linkname.slice(0, 100) }));
  return Buffer.concat(blocks);
}

interface Block {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  flag: string;
  linkname: string;
  devmajor: number;
  devminor: number;
}

function block(h: Block): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, h.uid);
  octal(b, 116, 8, h.gid);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, h.mtime);
  b.fill(0x20, 148, 156);
  b.write(h.flag, 156, 1, 'ascii');
  b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\0' + '00', 257, 8, 'ascii');
  octal(b, 329, 8, h.devmajor);
  octal(b, 337, 8, h.devminor);
  b.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return b;
}

/** Octal that fits, else zero (the real value is then in the PAX header). */
function octal(b: Buffer, offset: number, length: number, value: number): void {
  const digits = value >= 0 ? value.toString(8) : '';
  const text = digits.length > length - 1 || digits === '' ? '0' : digits;
  b.write(`${text.padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}

function splitName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { name: rest, prefix };
  }
  return undefined;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}
