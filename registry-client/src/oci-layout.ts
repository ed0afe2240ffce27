import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobWriter, ContentStore } from './content';
import { checkDigest, verifyBytes } from './digest';
import { ArchiveError } from './errors';
import { OciMediaType, type Descriptor, type ImageIndex } from './types';

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const CONTAINERD_NAME = 'io.containerd.image.name';

/**
 * An OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`),
 * readable and writable. Blobs are written to a temp file and renamed into
 * place, and index.json is replaced atomically, so a crash leaves either the
 * old layout or the new one.
 */
export class OciLayout implements ContentStore {
  private constructor(readonly dir: string) {}

  /** Opens an existing layout; with `create`, makes an empty one if none is there. */
  static async open(dir: string, options: { create?: boolean } = {}): Promise<OciLayout> {
    const layout = new OciLayout(path.resolve(dir));
    let marker: string | undefined;
    try {
      marker = await fs.readFile(path.join(layout.dir, 'oci-layout'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !options.create) {
        throw new ArchiveError(`${dir}: not an OCI image layout (no oci-layout file)`, { cause: err });
      }
    }
    if (marker !== undefined) {
      let version: unknown;
      try {
        version = (JSON.parse(marker) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
      } catch {
        throw new ArchiveError(`${dir}/oci-layout: not JSON`);
      }
      if (typeof version !== 'string' || !version.startsWith('1.')) {
        throw new ArchiveError(`${dir}/oci-layout: unsupported imageLayoutVersion ${JSON.stringify(version)}`);
      }
    } else {
      await fs.mkdir(path.join(layout.dir, 'blobs', 'sha256'), { recursive: true });
      await atomicWrite(path.join(layout.dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
      await atomicWrite(path.join(layout.dir, 'index.json'), JSON.stringify(emptyIndex()));
    }
    return layout;
  }

  blobPath(digest: string): string {
    const [alg, hex] = checkDigest(digest).split(':');
    return path.join(this.dir, 'blobs', alg, hex);
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fs.access(this.blobPath(digest));
      return true;
    } catch {
      return false;
    }
  }

  async blobSize(digest: string): Promise<number> {
    try {
      return (await fs.stat(this.blobPath(digest))).size;
    } catch {
      throw new ArchiveError(`${this.dir}: blob ${digest} is missing`);
    }
  }

  async readBlob(digest: string): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await fs.readFile(this.blobPath(digest));
    } catch {
      throw new ArchiveError(`${this.dir}: blob ${digest} is missing`);
    }
    verifyBytes(data, digest, `${this.dir}: blob ${digest}`);
    return data;
  }

  openBlob(digest: string, start = 0): Readable {
    return createReadStream(this.blobPath(digest), { start, highWaterMark: 1 << 20 });
  }

  /**
   * The blob from `start` in chunks of reused memory, each valid only until
   * the next one is asked for (see ContentSource.blobChunks). Full chunks are
   * pooled blocks; a short one (the tail) is a copy, since a write under the
   * socket's high-water mark does not wait for the bytes to leave.
   */
  async *blobChunks(digest: string, start = 0): AsyncGenerator<Buffer> {
    const fh = await fs.open(this.blobPath(digest), 'r');
    const blocks = [takeReadBlock(), takeReadBlock()];
    let reading: Promise<{ bytesRead: number }> | undefined;
    /** The block handed out and not yet known to be sent. */
    let lent: Buffer | undefined;
    let done = false;
    try {
      let pos = start;
      let i = 0;
      reading = fh.read(blocks[i], 0, READ_BLOCK_BYTES, pos);
      for (;;) {
        const { bytesRead } = await reading;
        reading = undefined;
        if (bytesRead === 0) break;
        const block = blocks[i];
        pos += bytesRead;
        i ^= 1;
        // Read ahead into the other block (sent and free again) while this one goes out.
        reading = fh.read(blocks[i], 0, READ_BLOCK_BYTES, pos);
        if (bytesRead < READ_BLOCK_BYTES) {
          yield Buffer.from(block.subarray(0, bytesRead));
        } else {
          lent = block;
          yield block;
          lent = undefined;
        }
      }
      done = true;
    } finally {
      // No read may still be filling a block that goes back to the pool.
      await reading?.catch(() => undefined);
      await fh.close();
      // A block lent to a request that stopped half-way may still be queued on its socket: leave it to the GC.
      for (const b of blocks) if (done || b !== lent) putReadBlock(b);
    }
  }

  async writer(desc: Descriptor): Promise<BlobWriter> {
    const final = this.blobPath(desc.digest);
    await fs.mkdir(path.dirname(final), { recursive: true });
    const tmp = path.join(this.dir, 'blobs', `.tmp-${randomBytes(8).toString('hex')}`);
    const fh = await fs.open(tmp, 'w');
    let closed = false;
    let pos = 0; // positional writes, so truncate() really starts over
    // Chunks are copied into a stage of 1 MiB, so each write(2) moves about
    // 1 MiB and the caller's chunk is free as soon as write() returns
    // (releasesChunks). One stage is written while the next one fills.
    let stage: Buffer | undefined;
    let staged = 0;
    let writing: Promise<void> = Promise.resolve();
    let failure: { err: unknown } | undefined;
    const flushStage = async (): Promise<void> => {
      if (!stage || staged === 0) return;
      const buf = stage;
      const n = staged;
      const at = pos;
      stage = undefined;
      staged = 0;
      pos += n;
      await writing;
      if (failure) throw failure.err;
      writing = fh.write(buf, 0, n, at).then(
        ({ bytesWritten }) => {
          putStage(buf);
          if (bytesWritten !== n) failure ??= { err: new ArchiveError(`${tmp}: short write (${bytesWritten} of ${n} bytes; disk full?)`) };
        },
        (err: unknown) => void (failure ??= { err }),
      );
    };
    const drain = async (): Promise<void> => {
      await writing;
      if (failure) throw failure.err;
    };
    const dropStage = (): void => {
      if (stage) putStage(stage);
      stage = undefined;
      staged = 0;
    };
    const close = async (): Promise<void> => {
      if (!closed) {
        closed = true;
        await fh.close();
      }
    };
    return {
      releasesChunks: true,
      async write(chunk) {
        if (failure) throw failure.err;
        let offset = 0;
        while (offset < chunk.length) {
          stage ??= takeStage();
          const n = chunk.copy(stage, staged, offset);
          offset += n;
          staged += n;
          if (staged === stage.length) await flushStage();
        }
      },
      async truncate() {
        dropStage();
        await drain();
        await fh.truncate(0);
        pos = 0;
      },
      async commit() {
        await flushStage();
        await drain();
        await close();
        await fs.rename(tmp, final);
      },
      async abort() {
        dropStage();
        await writing;
        await close().catch(() => undefined);
        await fs.rm(tmp, { force: true });
      },
    };
  }

  /** Stores a small blob (manifest, config) from memory, verifying it. */
  async putBlob(data: Buffer, digest: string): Promise<void> {
    verifyBytes(data, digest, 'blob');
    if (await this.has(digest)) return;
    await fs.mkdir(path.dirname(this.blobPath(digest)), { recursive: true });
    await atomicWrite(this.blobPath(digest), data);
  }

  async index(): Promise<ImageIndex> {
    let text: string;
    try {
      text = await fs.readFile(path.join(this.dir, 'index.json'), 'utf8');
    } catch {
      throw new ArchiveError(`${this.dir}: index.json is missing`);
    }
    let parsed: ImageIndex;
    try {
      parsed = JSON.parse(text) as ImageIndex;
    } catch {
      throw new ArchiveError(`${this.dir}/index.json: not JSON`);
    }
    if (!Array.isArray(parsed.manifests)) throw new ArchiveError(`${this.dir}/index.json: manifests is not an array`);
    return parsed;
  }

  /**
   * Records a manifest in index.json under a name (`org.opencontainers.image.ref.name`);
   * an entry with the same name is replaced, as skopeo does.
   */
  async addManifest(desc: Descriptor, refName?: string, extraAnnotations: Record<string, string> = {}): Promise<void> {
    const index = await this.index();
    const annotations = { ...desc.annotations, ...extraAnnotations };
    if (refName) annotations[REF_NAME] = refName;
    const entry: Descriptor = { ...desc, annotations: Object.keys(annotations).length ? annotations : undefined };
    if (!entry.annotations) delete entry.annotations;
    index.manifests = index.manifests.filter((m) =>
      refName ? m.annotations?.[REF_NAME] !== refName : m.digest !== desc.digest,
    );
    index.manifests.push(entry);
    await atomicWrite(path.join(this.dir, 'index.json'), JSON.stringify(index));
  }

  /** The entry for a ref name, or the only entry when no name is given. */
  async resolve(refName?: string): Promise<Descriptor> {
    const { manifests } = await this.index();
    const found = refName
      ? manifests.filter((m) => m.annotations?.[REF_NAME] === refName)
      : manifests;
    if (found.length === 1) return found[0];
    const names = manifests.map((m) => m.annotations?.[REF_NAME] ?? m.digest).join(', ');
    if (found.length === 0) throw new ArchiveError(`${this.dir}: no image named "${refName}" (has: ${names || 'nothing'})`);
    throw new ArchiveError(`${this.dir}: several images (${names}); name one`);
  }
}

/** Stages of blob writers, kept between blobs: fresh memory costs a page fault per 4 KiB. */
const STAGE_BYTES = 512 << 10;
const stages: Buffer[] = [];

function takeStage(): Buffer {
  return stages.pop() ?? Buffer.allocUnsafeSlow(STAGE_BYTES);
}

function putStage(buf: Buffer): void {
  if (stages.length < 8) stages.push(buf);
}

/** Blocks that pushed blobs are read into, kept between blobs (two per blob in flight). */
const READ_BLOCK_BYTES = 256 << 10;
const readBlocks: Buffer[] = [];

function takeReadBlock(): Buffer {
  return readBlocks.pop() ?? Buffer.allocUnsafeSlow(READ_BLOCK_BYTES);
}

function putReadBlock(buf: Buffer): void {
  if (readBlocks.length < 8) readBlocks.push(buf);
}

export function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: OciMediaType.ImageIndex, manifests: [] };
}

export async function atomicWrite(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
