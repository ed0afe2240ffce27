/**
 * A tar writer: ustar headers, with a PAX extended header in front when a
 * field does not fit (long name or link target, large ids or size, a
 * fractional or negative mtime, long user or group names) or the entry has
 * extended attributes (`SCHILY.xattr.<name>`, as GNU tar, Docker and BuildKit
 * write them). Output depends only on the headers given, so equal entries give
 * equal bytes. `TarWriter` streams entries into a Writable with backpressure.
 */
import { once } from 'node:events';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import { TarError } from './errors';
import { BLOCK, encodeNumber, padding, paxRecord, writeChecksum } from './fields';
import type { TarEntryType, WriteHeader } from './types';

export { padding } from './fields';

const FLAGS: Readonly<Record<TarEntryType, string>> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

/** PAX keys the writer computes from the header fields; given ones are not written through. */
const DERIVED = new Set(['path', 'linkpath', 'size', 'uid', 'gid', 'uname', 'gname', 'mtime']);

/** The end-of-archive marker: two zero blocks. */
export function trailer(): Buffer {
  return Buffer.alloc(BLOCK * 2);
}

/** The header block(s) of one entry (PAX extension first when needed). Data and padding follow separately. */
export function encodeHeader(h: WriteHeader, archive = 'tar'): Buffer {
  const size = h.type === 'file' ? (h.size ?? 0) : 0;
  const full = { mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: 0, linkname: '', devmajor: 0, devminor: 0, ...h, size };
  const name = full.type === 'dir' && !full.name.endsWith('/') ? `${full.name}/` : full.name;
  if (name === '' || name.includes('\0') || full.linkname.includes('\0')) {
    throw new TarError(archive, 'a name or link target is empty or contains NUL', { entry: name });
  }
  for (const [field, value] of [['size', size], ['uid', full.uid], ['gid', full.gid], ['mode', full.mode], ['devmajor', full.devmajor], ['devminor', full.devminor]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new TarError(archive, `invalid ${field} ${value}`, { entry: name });
  }
  if (!Number.isFinite(full.mtime)) throw new TarError(archive, `invalid mtime ${full.mtime}`, { entry: name });
  const pax: [string, Buffer][] = [];
  const split = splitName(name);
  if (!split) pax.push(['path', Buffer.from(name)]);
  if (Buffer.byteLength(full.linkname) > 100) pax.push(['linkpath', Buffer.from(full.linkname)]);
  for (const [key, value] of [['uname', full.uname], ['gname', full.gname]] as const) {
    if (Buffer.byteLength(value) > 32) pax.push([key, Buffer.from(value)]);
  }

  const b = Buffer.alloc(BLOCK);
  const fitted = split ?? { name: name.slice(0, 100), prefix: '' };
  b.write(fitted.name, 0, 100, 'utf8');
  encodeNumber(b, 100, 8, full.mode & 0o7777);
  if (!encodeNumber(b, 108, 8, full.uid)) pax.push(['uid', Buffer.from(String(full.uid))]);
  if (!encodeNumber(b, 116, 8, full.gid)) pax.push(['gid', Buffer.from(String(full.gid))]);
  if (!encodeNumber(b, 124, 12, size)) pax.push(['size', Buffer.from(String(size))]);
  const whole = Math.floor(full.mtime);
  const exact = full.pax?.get('mtime')?.toString('latin1');
  const keepExact = exact !== undefined && /^-?\d+(\.\d+)?$/.test(exact) && Math.abs(Number(exact) - full.mtime) < 1e-6;
  if (!encodeNumber(b, 136, 12, whole) || whole !== full.mtime || (keepExact && exact.includes('.'))) {
    pax.push(['mtime', Buffer.from(keepExact ? exact : formatTime(full.mtime))]);
  }
  b.write(FLAGS[full.type], 156, 1, 'latin1');
  b.write(full.linkname.slice(0, 100), 157, 100, 'utf8');
  b.write('ustar\0' + '00', 257, 8, 'latin1');
  b.write(full.uname, 265, 32, 'utf8');
  b.write(full.gname, 297, 32, 'utf8');
  encodeNumber(b, 329, 8, full.devmajor, true);
  encodeNumber(b, 337, 8, full.devminor, true);
  b.write(fitted.prefix, 345, 155, 'utf8');
  writeChecksum(b);

  for (const key of [...(full.xattrs?.keys() ?? [])].sort()) pax.push([`SCHILY.xattr.${key}`, full.xattrs!.get(key)!]);
  for (const [key, value] of [...(full.pax ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!DERIVED.has(key) && !key.startsWith('SCHILY.xattr.') && !key.startsWith('GNU.sparse.')) pax.push([key, value]);
  }
  if (pax.length === 0) return b;
  const records = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)));
  // Named as Go's archive/tar names it (dir/PaxHeaders.0/base); readers ignore the name.
  const trimmed = name.replace(/\/$/, '');
  const paxName = path.posix.join(path.posix.dirname(trimmed), 'PaxHeaders.0', path.posix.basename(trimmed));
  const x = Buffer.alloc(BLOCK);
  x.write(Buffer.from(paxName).subarray(0, 100).toString('latin1'), 0, 100, 'latin1');
  encodeNumber(x, 100, 8, 0o644);
  encodeNumber(x, 108, 8, Math.min(full.uid, 0o7777777));
  encodeNumber(x, 116, 8, Math.min(full.gid, 0o7777777));
  encodeNumber(x, 124, 12, records.length);
  encodeNumber(x, 136, 12, Math.max(0, Math.min(whole, 0o77777777777)));
  x.write('x', 156, 1, 'latin1');
  x.write('ustar\0' + '00', 257, 8, 'latin1');
  encodeNumber(x, 329, 8, 0);
  encodeNumber(x, 337, 8, 0);
  writeChecksum(x);
  return Buffer.concat([x, records, padding(records.length), b]);
}

/** Seconds with up to nine decimals, no exponent (PAX's format). */
function formatTime(t: number): string {
  if (!Number.isFinite(t)) return '0';
  const sign = t < 0 ? '-' : '';
  const abs = Math.abs(t);
  let secs = Math.floor(abs);
  let nanos = Math.round((abs - secs) * 1e9);
  if (nanos >= 1e9) {
    secs += 1;
    nanos -= 1e9;
  }
  const frac = nanos === 0 ? '' : `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
  return `${sign}${secs}${frac}`;
}

/** ustar splits long names into prefix (155) + "/" + name (100); undefined if it cannot. */
function splitName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { name: rest, prefix };
  }
  return undefined;
}

/**
 * Writes entries into a stream in order, waiting for 'drain' when the stream
 * is full. A body must hold exactly `header.size` bytes; otherwise the
 * archive would be corrupt, so the writer fails instead.
 */
export class TarWriter {
  private failed: Error | undefined;
  private readonly onError = (err: Error): void => {
    this.failed ??= err;
  };

  constructor(
    private readonly out: Writable,
    private readonly archive = 'tar',
  ) {
    out.on('error', this.onError);
  }

  async add(header: WriteHeader, body?: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    const size = header.type === 'file' ? (header.size ?? (body instanceof Uint8Array ? body.length : 0)) : 0;
    await this.write(encodeHeader({ ...header, size }, this.archive));
    let written = 0;
    if (body instanceof Uint8Array) {
      written = body.length;
      if (written === size && size > 0) await this.write(body);
    } else if (body) {
      for await (const chunk of body) {
        written += chunk.length;
        if (written > size) break;
        await this.write(chunk);
      }
    }
    if (written !== size) {
      const err = new TarError(this.archive, `the body has ${written > size ? 'more than' : written} bytes, the header says ${size}`, { entry: header.name });
      this.out.destroy(err);
      throw err;
    }
    if (size % BLOCK) await this.write(padding(size));
  }

  /** Writes the end-of-archive marker and ends the stream, resolving once it has flushed. */
  async finish(): Promise<void> {
    await this.write(trailer());
    const done = once(this.out, 'finish');
    this.out.end();
    await done;
    this.check();
  }

  private check(): void {
    if (this.failed) throw this.failed;
  }

  private async write(chunk: Uint8Array): Promise<void> {
    this.check();
    if (this.out.destroyed) throw new TarError(this.archive, 'the output stream was closed');
    if (!this.out.write(chunk)) {
      const ac = new AbortController();
      try {
        await Promise.race([once(this.out, 'drain', { signal: ac.signal }), once(this.out, 'close', { signal: ac.signal })]);
      } finally {
        ac.abort();
      }
    }
    this.check();
  }
}
