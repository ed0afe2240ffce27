import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { spawn } from 'node:child_process';
import { TarError, createTarWriter, readTar, type TarStreamWriter } from '@berth/spec';
import { ArchiveError } from './errors';

/**
 * An archive name made safe: relative, normalised, never leaving the root.
 * Returns undefined for the root itself (`./`).
 */
export function safeEntryName(name: string, archive: string): string | undefined {
  const cleaned = name.replace(/\\/g, '/');
  if (cleaned.startsWith('/')) throw new ArchiveError(`${archive}: entry "${name}" has an absolute path`);
  const norm = path.posix.normalize(cleaned).replace(/\/+$/, '');
  if (norm === '.' || norm === '') return undefined;
  if (norm === '..' || norm.startsWith('../')) throw new ArchiveError(`${archive}: entry "${name}" would land outside the extraction root`);
  return norm;
}

/** What an extracted archive holds: regular files on disk, links as names. */
export interface ExtractedTree {
  root: string;
  files: Set<string>;
  /** Link name → the archive path it points at (symlinks and hard links). */
  links: Map<string, string>;
}

/** Resolves a path inside an extracted archive through its recorded links. */
export function resolveEntry(tree: ExtractedTree, name: string, archive: string): string {
  let current = safeEntryName(name, archive) ?? '';
  for (let hops = 0; hops < 40; hops++) {
    if (tree.files.has(current)) return path.join(tree.root, current);
    const target = tree.links.get(current);
    if (target === undefined) break;
    current = target;
  }
  throw new ArchiveError(`${archive}: "${name}" is missing from the archive`);
}

/**
 * Decompresses gzip or zstd when the magic bytes say so; plain tar passes
 * through. zstd goes through the `zstd` program (Node 20's zlib lacks it).
 */
export async function maybeDecompress(input: Readable, archive: string): Promise<Readable> {
  const first = await peek(input);
  if (first.head[0] === 0x1f && first.head[1] === 0x8b) return first.stream.pipe(zlib.createGunzip());
  if (first.head.readUInt32LE(0) === 0xfd2fb528) return zstdDecompress(first.stream, archive);
  return first.stream;
}

export function zstdDecompress(input: Readable, what: string): Readable {
  const child = spawn('zstd', ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const out = new PassThrough();
  child.on('error', (err) => out.destroy(new ArchiveError(`${what}: zstd data needs the zstd program: ${err.message}`)));
  child.on('close', (code) => {
    if (code !== 0) out.destroy(new ArchiveError(`${what}: zstd failed (exit ${code})`));
  });
  input.on('error', (err) => out.destroy(err));
  input.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  child.stdout.pipe(out);
  return out;
}

/** Reads the first bytes of a stream and gives back a stream that still starts with them. */
async function peek(input: Readable, n = 4): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let got = 0;
  const it = input[Symbol.asyncIterator]();
  while (got < n) {
    const { value, done } = await it.next();
    if (done) break;
    chunks.push(value as Buffer);
    got += (value as Buffer).length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const { value, done } = await it.next();
      if (done) return;
      yield value as Buffer;
    }
  }
  const padded = head.length >= 4 ? head : Buffer.concat([head, Buffer.alloc(4 - head.length)]);
  return { head: padded, stream: Readable.from(rest(), { objectMode: false }) };
}

/**
 * Extracts a tar (gzip'd or zstd'd too) into `root`: regular files and
 * directories only. Links are recorded, not created, so nothing can point
 * outside the root; devices and other types are refused.
 */
export async function extractTar(input: Readable, root: string, archive: string): Promise<ExtractedTree> {
  const tree: ExtractedTree = { root, files: new Set(), links: new Map() };
  try {
    for await (const { header, body } of readTar(await maybeDecompress(input, archive), archive)) {
      const entry = safeEntryName(header.name, archive);
      if (entry === undefined || header.type === 'dir') continue;
      if (header.type === 'symlink' || header.type === 'hardlink') {
        const raw = header.linkname;
        const target =
          header.type === 'symlink'
            ? safeEntryName(raw.startsWith('/') ? raw : path.posix.join(path.posix.dirname(entry), raw), archive)
            : safeEntryName(raw, archive);
        if (target !== undefined) tree.links.set(entry, target);
        continue;
      }
      if (header.type !== 'file') throw new ArchiveError(`${archive}: entry "${header.name}" is a ${header.type} device or fifo, not a file`);
      const dest = path.join(root, entry);
      try {
        await fs.mkdir(path.dirname(dest), { recursive: true });
        await pipeline(Readable.from(body), createWriteStream(dest));
      } catch (err) {
        if (err instanceof TarError) throw err;
        throw new ArchiveError(`${archive}: cannot extract entry "${header.name}": ${(err as Error).message}`, { cause: err });
      }
      tree.files.add(entry);
      tree.links.delete(entry);
    }
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    if (err instanceof TarError) throw new ArchiveError(`not a readable tar archive: ${err.message}`, { cause: err });
    throw new ArchiveError(`${archive}: cannot extract: ${(err as Error).message}`, { cause: err });
  }
  return tree;
}

/** A tar being written: docker save's shape (parent directories first, mode 0644/0755, mtime 0). */
export class TarWriter {
  private readonly tar: TarStreamWriter;
  private readonly dirs = new Set<string>();

  constructor(out: Writable, archive = 'archive') {
    this.tar = createTarWriter(out, archive);
  }

  /** Adds the parent directories of `name` once each, as docker save does. */
  private async parents(name: string): Promise<void> {
    const parts = name.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (this.dirs.has(dir)) continue;
      this.dirs.add(dir);
      await this.tar.add({ name: `${dir}/`, type: 'dir', mode: 0o755 });
    }
  }

  async addBuffer(name: string, data: Buffer): Promise<void> {
    await this.parents(name);
    await this.tar.add({ name, type: 'file', size: data.length, mode: 0o644 }, data);
  }

  async addStream(name: string, size: number, data: Readable): Promise<void> {
    await this.parents(name);
    try {
      await this.tar.add({ name, type: 'file', size, mode: 0o644 }, data);
    } finally {
      data.destroy();
    }
  }

  async finish(): Promise<void> {
    await this.tar.finish();
  }
}

export function openFile(file: string): Readable {
  return createReadStream(file, { highWaterMark: 1 << 20 });
}
