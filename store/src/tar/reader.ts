/**
 * A streaming tar reader for layers: ustar, GNU long names/links, PAX
 * (local and global) with base-256 numbers. Unlike tar-stream it keeps PAX
 * values as bytes, because `SCHILY.xattr.security.capability` is binary and
 * would not survive a UTF-8 round trip.
 */
import { LayerError } from '../errors';
import { ByteReader } from './bytes';

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarHeader {
  /** The name as written in the archive (PAX path or GNU long name applied). */
  name: string;
  type: TarEntryType;
  /** Permission bits including setuid, setgid and sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Modification time in seconds (fractional with PAX). */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from PAX `SCHILY.xattr.<name>` records. */
  xattrs: Map<string, Buffer>;
}

export interface TarEntry {
  header: TarHeader;
  /** The entry's data; must be consumed or left alone before asking for the next entry. */
  body: AsyncIterable<Buffer>;
}

const BLOCK = 512;
const XATTR_PREFIX = 'SCHILY.xattr.';

function cstring(b: Buffer, start: number, len: number): string {
  const field = b.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString('utf8');
}

function number(b: Buffer, start: number, len: number, what: string): number {
  const field = b.subarray(start, start + len);
  if (field[0] & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit as marker
    let value = BigInt(field[0] & 0x7f);
    for (let i = 1; i < field.length; i++) value = (value << 8n) | BigInt(field[i]);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new LayerError(`tar header field ${what} is too large`);
    return Number(value);
  }
  const text = field.toString('ascii').replace(/[\0 ]+$/g, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new LayerError(`tar header field ${what} is not an octal number: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function checksumOk(b: Buffer): boolean {
  const stored = number(b, 148, 8, 'chksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** PAX records `<len> <key>=<value>\n`, values as bytes. */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) throw new LayerError('malformed PAX record in tar');
    const record = data.subarray(space + 1, pos + len - 1); // without the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq === -1) throw new LayerError('malformed PAX record in tar (no "=")');
    out.set(record.subarray(0, eq).toString('utf8'), Buffer.from(record.subarray(eq + 1)));
    pos += len;
  }
  return out;
}

const TYPES: Readonly<Record<string, TarEntryType>> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};

/** Reads entries one at a time; the archive ends at the first zero block. */
export async function* readTar(source: AsyncIterable<Uint8Array>, archive: string): AsyncGenerator<TarEntry> {
  const input = new ByteReader(source);
  let global = new Map<string, Buffer>();
  let local: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;

  for (;;) {
    const at = input.offset;
    const block = await input.read(BLOCK);
    if (block.length === 0) return; // no end-of-archive blocks: accepted, as Go and GNU tar do
    if (block.length < BLOCK) throw new LayerError(`${archive}: truncated tar header at byte ${at}`);
    if (block.every((byte) => byte === 0)) {
      await input.drain();
      return;
    }
    if (!checksumOk(block)) throw new LayerError(`${archive}: bad tar header checksum at byte ${at}`);
    const flag = String.fromCharCode(block[156]);
    const size = number(block, 124, 12, 'size');
    const padded = Math.ceil(size / BLOCK) * BLOCK;

    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      const data = await input.read(padded);
      if (data.length < padded) throw new LayerError(`${archive}: truncated tar extension header at byte ${at}`);
      const content = data.subarray(0, size);
      if (flag === 'x') local = parsePax(content);
      else if (flag === 'g') global = new Map([...global, ...parsePax(content)]);
      else if (flag === 'L') longName = cstring(content, 0, content.length);
      else longLink = cstring(content, 0, content.length);
      continue;
    }

    const type = TYPES[flag];
    const magic = block.subarray(257, 263).toString('latin1');
    let name = cstring(block, 0, 100);
    if (magic === 'ustar\0') {
      const prefix = cstring(block, 345, 155);
      if (prefix !== '') name = `${prefix}/${name}`;
    }
    const pax = local ? new Map([...global, ...local]) : global;
    const header: TarHeader = {
      name: pax.get('path')?.toString('utf8') ?? longName ?? name,
      type: type ?? 'file',
      mode: number(block, 100, 8, 'mode') & 0o7777,
      uid: number(block, 108, 8, 'uid'),
      gid: number(block, 116, 8, 'gid'),
      size,
      mtime: number(block, 136, 12, 'mtime'),
      linkname: pax.get('linkpath')?.toString('utf8') ?? longLink ?? cstring(block, 157, 100),
      devmajor: number(block, 329, 8, 'devmajor'),
      devminor: number(block, 337, 8, 'devminor'),
      xattrs: new Map(),
    };
    local = undefined;
    longName = undefined;
    longLink = undefined;
    if (type === undefined) {
      throw new LayerError(`${archive}: entry "${header.name}" has unsupported tar type '${flag}'`, header.name);
    }
    if (flag === '\0' && header.name.endsWith('/')) header.type = 'dir';
    for (const [key, value] of pax) {
      if (key === 'size') header.size = Number(value.toString('ascii'));
      else if (key === 'uid') header.uid = Number(value.toString('ascii'));
      else if (key === 'gid') header.gid = Number(value.toString('ascii'));
      else if (key === 'mtime') header.mtime = Number(value.toString('ascii'));
      else if (key.startsWith(XATTR_PREFIX)) header.xattrs.set(key.slice(XATTR_PREFIX.length), value);
    }
    for (const [k, v] of [['size', header.size], ['uid', header.uid], ['gid', header.gid]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new LayerError(`${archive}: entry "${header.name}" has an invalid PAX ${k}`, header.name);
    }
    if (!Number.isFinite(header.mtime)) throw new LayerError(`${archive}: entry "${header.name}" has an invalid PAX mtime`, header.name);
    // only regular files carry data; header-only types ignore their size field, as Go's reader does
    const dataSize = header.type === 'file' ? header.size : 0;
    const padding = Math.ceil(dataSize / BLOCK) * BLOCK - dataSize;
    const truncated = (): LayerError => new LayerError(`${archive}: entry "${header.name}" is truncated`, header.name);
    let consumed = 0;
    const body = (async function* (): AsyncGenerator<Buffer> {
      for await (const chunk of input.chunks(dataSize - consumed)) {
        consumed += chunk.length;
        yield chunk;
      }
      if (consumed < dataSize) throw truncated();
    })();
    yield { header, body };
    const rest = dataSize - consumed;
    if ((await input.skip(rest + padding)) < rest) throw truncated();
  }
}
