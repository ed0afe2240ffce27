/**
 * A streaming tar reader: ustar, PAX (local and global records, fractional
 * mtimes, binary `SCHILY.xattr.*` values kept as bytes), GNU (long names and
 * links, base-256 numbers) and v7. Sparse files and multi-volume archives are
 * refused by name. Every problem is a TarError naming the entry and the byte
 * offset of its header; nothing here can loop without consuming input.
 */
import { ByteReader } from './bytes';
import { TarError } from './errors';
import { BLOCK, Malformed, checksumOk, cstring, decodeNumber, parsePax } from './fields';
import type { TarEntry, TarEntryType, TarHeader } from './types';

export interface ReadTarOptions {
  /** Largest PAX or GNU long-name extension accepted (default 16 MiB), so a hostile size cannot exhaust memory. */
  maxExtensionSize?: number;
}

const XATTR_PREFIX = 'SCHILY.xattr.';

const TYPES: Readonly<Record<string, TarEntryType>> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere but on Masscomp
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
  D: 'dir', // GNU dumpdir (--listed-incremental): a directory whose data lists its contents
};

const REFUSED: Readonly<Record<string, string>> = {
  S: 'is a GNU sparse file, which berth does not support',
  M: 'continues from another volume (GNU multi-volume archive), which berth does not support',
  N: 'is an old GNU long-name record (type N), which berth does not support',
};

/** Reads entries one at a time; the archive ends at the first zero block (the rest is drained). */
export async function* readTar(source: AsyncIterable<Uint8Array>, archive: string, options: ReadTarOptions = {}): AsyncGenerator<TarEntry> {
  const input = new ByteReader(source);
  try {
    yield* entries(input, archive, options.maxExtensionSize ?? 16 << 20);
  } finally {
    await input.close();
  }
}

async function* entries(input: ByteReader, archive: string, maxExtension: number): AsyncGenerator<TarEntry> {
  let global = new Map<string, Buffer>();
  let local: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let entryStart: number | undefined; // offset of the first extension header of the pending entry
  let previous: string | undefined;

  for (;;) {
    const at = input.offset;
    const block = input.readNow(BLOCK) ?? (await input.read(BLOCK));
    // Name the entry the pending extension headers describe, else what this header claims.
    const fail = (problem: string, entry?: string): TarError =>
      new TarError(archive, problem, { entry: local?.get('path')?.toString('utf8') ?? longName ?? entry, offset: entryStart ?? at });
    if (block.length === 0) {
      if (entryStart !== undefined) throw fail('the archive ends after an extension header, before its entry');
      return; // no end-of-archive blocks: accepted, as GNU tar and Go do
    }
    const claimed = cstring(block, 0, 100) || undefined;
    if (block.length < BLOCK) throw fail(`truncated: the archive ends ${block.length} bytes into the header${after(previous)}`, claimed);
    if (block.every((byte) => byte === 0)) {
      if (entryStart !== undefined) throw fail('an end-of-archive block follows an extension header, before its entry');
      await input.drain();
      return;
    }
    let flag: string;
    let size: number;
    try {
      if (!checksumOk(block)) throw new Malformed(`bad header checksum (not a tar archive, or corrupt)${after(previous)}`);
      flag = String.fromCharCode(block[156]);
      size = decodeNumber(block, 124, 12, 'size field');
      if (size < 0) throw new Malformed(`negative size ${size}`);
    } catch (err) {
      if (err instanceof Malformed) throw fail(err.message, claimed);
      throw err;
    }
    const padded = Math.ceil(size / BLOCK) * BLOCK;

    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      entryStart ??= at;
      if (size > maxExtension) throw fail(`extension header of ${size} bytes is larger than the ${maxExtension} accepted`, claimed);
      const data = await input.read(padded);
      if (data.length < padded) throw fail(`truncated: the archive ends inside an extension header (type ${flag})`, claimed);
      const content = data.subarray(0, size);
      try {
        if (flag === 'x') local = new Map([...(local ?? []), ...parsePax(content)]);
        else if (flag === 'g') global = new Map([...global, ...parsePax(content)]);
        else if (flag === 'L') longName = cstring(content, 0, content.length);
        else longLink = cstring(content, 0, content.length);
      } catch (err) {
        if (err instanceof Malformed) throw fail(err.message, claimed);
        throw err;
      }
      if (flag === 'g') entryStart = undefined; // a global header stands alone
      continue;
    }

    const offset = entryStart ?? at;
    const pax = local ? new Map([...global, ...local]) : global;
    let header: TarHeader;
    try {
      header = decodeHeader(block, flag, size, pax, longName, longLink);
    } catch (err) {
      if (err instanceof Malformed) throw fail(err.message, pax.get('path')?.toString('utf8') ?? longName ?? claimed);
      throw err;
    }
    local = undefined;
    longName = undefined;
    longLink = undefined;
    entryStart = undefined;
    previous = header.name;

    const refuse = (problem: string): TarError => new TarError(archive, problem, { entry: header.name, offset });
    if (flag === 'V') {
      // A GNU volume label names the archive, not a file: skip it and its data.
      if ((await input.skip(padded)) < padded) throw refuse('truncated volume label');
      continue;
    }
    const sparse = pax.has('GNU.sparse.major') || pax.has('GNU.sparse.size') || pax.has('GNU.sparse.realsize');
    if (sparse && pax.has('GNU.sparse.name')) header.name = pax.get('GNU.sparse.name')!.toString('utf8');
    const refused = REFUSED[flag] ?? (sparse ? REFUSED.S : undefined);
    if (refused) throw refuse(refused);
    if (TYPES[flag] === undefined) throw refuse(`unsupported entry type ${JSON.stringify(flag)}`);

    // Only regular files (and GNU dumpdirs) carry data; the other types ignore their size field, as GNU tar and Go do.
    const dataSize = header.type === 'file' || flag === 'D' ? header.size : 0;
    if (header.type !== 'file') header.size = 0;
    const pad = Math.ceil(dataSize / BLOCK) * BLOCK - dataSize;
    const truncated = (got: number): TarError =>
      new TarError(archive, `truncated: the archive ends ${got} bytes into its ${dataSize} bytes of data`, { entry: header.name, offset });
    const body = new Body(input, dataSize, {
      stale: () => new TarError(archive, 'the body was read after the reader moved on to the next entry', { entry: header.name, offset }),
      truncated,
    });
    yield { header, offset, body };
    body.current = false;
    const rest = dataSize - body.consumed;
    if (input.skipNow(rest + pad)) continue;
    const got = await input.skip(rest + pad);
    if (got < rest) throw truncated(body.consumed + got);
    if (got < rest + pad) throw new TarError(archive, 'truncated: the archive ends inside the padding after its data', { entry: header.name, offset });
  }
}

const DONE: Promise<IteratorResult<Buffer>> = Promise.resolve({ value: undefined, done: true });

/**
 * An entry's data as chunks of the archive's buffered bytes. An iterator
 * rather than an async generator: a chunk already buffered costs one
 * resolved promise, not a generator's resumption through three layers
 * (thousands of small files per layer). One `next` at a time.
 */
class Body implements AsyncIterableIterator<Buffer> {
  consumed = 0;
  /** False once the reader moved on to the next entry: reading then is an error. */
  current = true;
  private finished = false;

  constructor(
    private readonly input: ByteReader,
    private readonly size: number,
    private readonly fail: { stale: () => TarError; truncated: (got: number) => TarError },
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.finished) return DONE;
    if (!this.current) {
      this.finished = true;
      return Promise.reject(this.fail.stale());
    }
    if (this.consumed === this.size) {
      this.finished = true;
      return DONE;
    }
    const chunk = this.input.takeNow(this.size - this.consumed);
    if (chunk === undefined) return this.pull();
    this.consumed += chunk.length;
    return Promise.resolve({ value: chunk, done: false });
  }

  private async pull(): Promise<IteratorResult<Buffer>> {
    if (!(await this.input.fill())) {
      this.finished = true;
      throw this.fail.truncated(this.consumed);
    }
    return this.next();
  }

  return(): Promise<IteratorResult<Buffer>> {
    this.finished = true;
    return DONE;
  }
}

function after(previous: string | undefined): string {
  return previous === undefined ? '' : ` (after entry ${JSON.stringify(previous)})`;
}

function decodeHeader(block: Buffer, flag: string, size: number, pax: Map<string, Buffer>, longName?: string, longLink?: string): TarHeader {
  const magic = block.toString('latin1', 257, 263);
  let name = cstring(block, 0, 100);
  // Only POSIX ustar has the prefix field; old GNU headers keep atime/ctime there.
  if (magic === 'ustar\0') {
    const prefix = cstring(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const ustar = magic.startsWith('ustar');
  const header: TarHeader = {
    name: longName ?? name,
    type: TYPES[flag] ?? 'file',
    mode: decodeNumber(block, 100, 8, 'mode field') & 0o7777,
    uid: decodeNumber(block, 108, 8, 'uid field'),
    gid: decodeNumber(block, 116, 8, 'gid field'),
    uname: ustar ? cstring(block, 265, 32) : '',
    gname: ustar ? cstring(block, 297, 32) : '',
    size,
    mtime: decodeNumber(block, 136, 12, 'mtime field'),
    linkname: longLink ?? cstring(block, 157, 100),
    devmajor: ustar ? decodeNumber(block, 329, 8, 'devmajor field') : 0,
    devminor: ustar ? decodeNumber(block, 337, 8, 'devminor field') : 0,
    xattrs: new Map(),
    pax,
  };
  for (const [key, value] of pax) {
    const text = (): string => value.toString('utf8');
    if (key === 'path') header.name = text();
    else if (key === 'linkpath') header.linkname = text();
    else if (key === 'uname') header.uname = text();
    else if (key === 'gname') header.gname = text();
    else if (key === 'size') header.size = paxInteger(key, text());
    else if (key === 'uid') header.uid = paxInteger(key, text());
    else if (key === 'gid') header.gid = paxInteger(key, text());
    else if (key === 'mtime') header.mtime = paxTime(text());
    else if (key.startsWith(XATTR_PREFIX)) header.xattrs.set(key.slice(XATTR_PREFIX.length), value);
  }
  if (header.name === '') throw new Malformed('the entry has no name');
  // Old archives mark directories only by the trailing slash (as Go's reader, for the NUL type only).
  if (flag === '\0' && header.name.endsWith('/')) header.type = 'dir';
  return header;
}

function paxInteger(key: string, text: string): number {
  const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) throw new Malformed(`invalid PAX ${key} ${JSON.stringify(text)}`);
  return value;
}

function paxTime(text: string): number {
  if (!/^-?[0-9]{1,16}(\.[0-9]{0,9}[0-9]*)?$/.test(text)) throw new Malformed(`invalid PAX mtime ${JSON.stringify(text)}`);
  return Number(text);
}
