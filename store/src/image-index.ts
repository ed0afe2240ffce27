/**
 * The image index: which manifests the store holds as images, and which
 * references name them. A tag (`docker.io/library/busybox:latest`) names one
 * image; an image may have many tags, or none (a dangling image, after its
 * tag moved to another image). Digest references (`name@sha256:…`) are kept
 * per image as Docker's RepoDigests.
 *
 * Stored as one JSON file replaced atomically; every change is a
 * read-modify-write under the store lock, so concurrent processes never lose
 * each other's updates. Readers need no lock.
 */
import { readFileSync } from 'node:fs';
import { parseDockerRef, validateDigest, type Digest, type ImageReference } from '@berth/spec';
import { writeFileAtomic } from './atomic';
import { NotFoundError, StoreError } from './errors';
import { StoreLayout } from './layout';
import { withLock } from './lock';

export interface ImageRecord {
  /** Digest of the manifest (or image index) the image is. */
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  /** Digest of the image config (Docker's image ID). */
  readonly config: Digest;
  /** When the store got the image (ISO 8601). */
  readonly added: string;
  /** `name@digest` references it was pulled or pushed by. */
  readonly repoDigests: readonly string[];
}

export interface ImageEntry extends ImageRecord {
  /** Canonical tag references (`docker.io/library/busybox:latest`), sorted. */
  readonly tags: readonly string[];
}

interface IndexFile {
  schemaVersion: 1;
  images: Record<string, ImageRecord>;
  tags: Record<string, Digest>;
}

export type NewImage = Omit<ImageRecord, 'added' | 'repoDigests'> & { readonly added?: string };

export interface UntagResult {
  /** References removed. */
  readonly untagged: readonly string[];
  /** The image removed from the index because nothing named it any more (and it was asked to go). */
  readonly deleted?: Digest;
}

function emptyIndex(): IndexFile {
  return { schemaVersion: 1, images: {}, tags: {} };
}

/** A canonical reference: tags get `:latest` when missing; tag+digest keeps the digest. */
export function canonicalRef(ref: string | ImageReference): ImageReference {
  return typeof ref === 'string' ? parseDockerRef(ref) : ref;
}

export class ImageIndex {
  readonly layout: StoreLayout;
  private readonly lockTimeoutMs: number | undefined;

  constructor(layout: StoreLayout, options: { lockTimeoutMs?: number } = {}) {
    this.layout = layout;
    this.lockTimeoutMs = options.lockTimeoutMs;
  }

  /** Every image with its tags, newest first. */
  async list(): Promise<ImageEntry[]> {
    const index = await this.load();
    return Object.values(index.images)
      .map((img) => withTags(index, img))
      .sort((a, b) => (a.added < b.added ? 1 : a.added > b.added ? -1 : a.digest < b.digest ? -1 : 1));
  }

  /** Images without any tag. */
  async dangling(): Promise<ImageEntry[]> {
    return (await this.list()).filter((img) => img.tags.length === 0);
  }

  /**
   * Finds an image by reference (`busybox`, `busybox:1.36`, `name@sha256:…`),
   * by full digest, or by an unambiguous prefix of its config or manifest digest
   * (an image ID as `berth images` shows it). Undefined if nothing matches.
   */
  async get(input: string): Promise<ImageEntry | undefined> {
    const index = await this.load();
    const found = lookup(index, input);
    return found && withTags(index, found);
  }

  /** Like get, but NotFoundError when missing. */
  async require(input: string): Promise<ImageEntry> {
    const img = await this.get(input);
    if (!img) throw new NotFoundError(`no such image: ${input}`);
    return img;
  }

  /**
   * Records an image and points `refs` at it. A tag that named another image
   * moves here (that image may become dangling); a digest reference is kept
   * as a repo digest of this image.
   */
  async add(image: NewImage, refs: readonly (string | ImageReference)[] = []): Promise<ImageEntry> {
    const parsed = refs.map(canonicalRef);
    for (const ref of parsed) {
      if (ref.digest !== undefined && ref.digest !== image.digest) {
        throw new StoreError(
          'ERR_BERTH_STORE_BAD_REFERENCE',
          `reference ${ref.toString()} does not match the image's manifest digest ${image.digest}`,
        );
      }
    }
    return this.update((index) => {
      const digest = validateDigest(image.digest);
      const old = index.images[digest];
      const repoDigests = new Set(old?.repoDigests ?? []);
      for (const ref of parsed) {
        if (ref.digest !== undefined) repoDigests.add(`${ref.name}@${ref.digest}`);
      }
      index.images[digest] = {
        digest,
        mediaType: image.mediaType,
        size: image.size,
        config: validateDigest(image.config),
        added: old?.added ?? image.added ?? new Date().toISOString(),
        repoDigests: [...repoDigests].sort(),
      };
      for (const ref of parsed) if (ref.tag !== undefined && ref.digest === undefined) index.tags[ref.toString()] = digest;
      return withTags(index, index.images[digest]);
    });
  }

  /** `berth tag SRC DST`: DST names the image SRC names. */
  async tag(source: string, target: string): Promise<ImageEntry> {
    const ref = canonicalRef(target);
    if (ref.digest !== undefined) {
      throw new StoreError('ERR_BERTH_STORE_BAD_REFERENCE', `cannot tag with a digest reference: ${target}`);
    }
    return this.update((index) => {
      const img = lookup(index, source);
      if (!img) throw new NotFoundError(`no such image: ${source}`);
      index.tags[ref.toString()] = img.digest;
      return withTags(index, img);
    });
  }

  /**
   * Removes a tag or repo digest reference. With `prune`, an image left
   * without tags and repo digests is removed from the index (as `rmi` does);
   * its blobs and snapshots go at the next GC.
   */
  async untag(input: string, options: { prune?: boolean } = {}): Promise<UntagResult> {
    return this.update((index) => {
      const ref = canonicalRef(input);
      const untagged: string[] = [];
      let digest: Digest | undefined;
      if (ref.digest !== undefined) {
        const name = `${ref.name}@${ref.digest}`;
        const img = byRepoDigest(index, name, ref.digest);
        if (img) {
          index.images[img.digest] = { ...img, repoDigests: img.repoDigests.filter((r) => r !== name) };
          untagged.push(name);
          digest = img.digest;
        }
      } else {
        const key = ref.toString();
        digest = index.tags[key];
        if (digest !== undefined) {
          delete index.tags[key];
          untagged.push(key);
        }
      }
      if (digest === undefined) throw new NotFoundError(`no such image: ${input}`);
      const img = index.images[digest];
      if (options.prune && img && img.repoDigests.length === 0 && tagsOf(index, digest).length === 0) {
        delete index.images[digest];
        return { untagged, deleted: digest };
      }
      return { untagged };
    });
  }

  /** Removes an image and every reference to it; returns the references removed. */
  async remove(input: string): Promise<{ digest: Digest; untagged: string[] }> {
    return this.update((index) => {
      const img = lookup(index, input);
      if (!img) throw new NotFoundError(`no such image: ${input}`);
      const untagged = [...tagsOf(index, img.digest), ...img.repoDigests];
      for (const tag of tagsOf(index, img.digest)) delete index.tags[tag];
      delete index.images[img.digest];
      return { digest: img.digest, untagged };
    });
  }

  /**
   * The index file as stored (no lock; it is replaced atomically). Read synchronously: one
   * small file, where fs.promises.readFile takes four thread-pool round trips (every berth run
   * reads it).
   */
  async load(): Promise<IndexFile> {
    let text: string;
    try {
      text = readFileSync(this.layout.index, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
      throw err;
    }
    try {
      const doc = JSON.parse(text) as IndexFile;
      if (doc.schemaVersion !== 1 || typeof doc.images !== 'object' || typeof doc.tags !== 'object') {
        throw new Error('expected {"schemaVersion":1,"images":{...},"tags":{...}}');
      }
      return doc;
    } catch (err) {
      throw new StoreError('ERR_BERTH_STORE_CORRUPT', `image index ${this.layout.index} is corrupt: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Read-modify-write under the store lock (callers must not hold it already). */
  async update<T>(fn: (index: IndexFile) => T): Promise<T> {
    return withLock(this.layout.lock, () => this.updateLocked(fn), { timeoutMs: this.lockTimeoutMs });
  }

  /** Read-modify-write for callers that already hold the store lock (GC). */
  async updateLocked<T>(fn: (index: IndexFile) => T): Promise<T> {
    const index = await this.load();
    const result = fn(index);
    await writeFileAtomic(this.layout.index, `${JSON.stringify(index, null, 2)}\n`, 0o600);
    return result;
  }
}

export type { IndexFile };

function tagsOf(index: IndexFile, digest: string): string[] {
  return Object.entries(index.tags)
    .filter(([, d]) => d === digest)
    .map(([tag]) => tag)
    .sort();
}

function withTags(index: IndexFile, img: ImageRecord): ImageEntry {
  return { ...img, tags: tagsOf(index, img.digest) };
}

function lookup(index: IndexFile, input: string): ImageRecord | undefined {
  const bare = input.startsWith('sha256:') ? input.slice(7) : input;
  if (/^[0-9a-f]{1,64}$/.test(bare)) {
    const full = `sha256:${bare}`;
    if (bare.length === 64 && index.images[full]) return index.images[full];
    const byId = Object.values(index.images).filter(
      (img) => img.config.startsWith(full) || img.digest.startsWith(full),
    );
    if (byId.length === 1) return byId[0];
    if (byId.length > 1 && new Set(byId.map((i) => i.config)).size > 1) {
      throw new StoreError('ERR_BERTH_STORE_AMBIGUOUS', `image ID prefix ${input} matches ${byId.length} images`);
    }
    if (byId.length > 1) return byId[0];
    // a hex string that matches nothing may still be a repository name (Docker allows e.g. "abc")
    if (bare.length === 64) return undefined;
  }
  let ref: ImageReference;
  try {
    ref = canonicalRef(input);
  } catch {
    return undefined;
  }
  if (ref.digest !== undefined) return byRepoDigest(index, `${ref.name}@${ref.digest}`, ref.digest);
  const digest = index.tags[ref.toString()];
  return digest === undefined ? undefined : index.images[digest];
}

/**
 * The image that carries `name@digest` as a repo digest: usually the image stored under that
 * digest, but a multi-platform pull records the index digest on the platform's image (as Docker).
 */
function byRepoDigest(index: IndexFile, repoDigest: string, digest: Digest): ImageRecord | undefined {
  const direct = index.images[digest];
  if (direct?.repoDigests.includes(repoDigest)) return direct;
  return Object.values(index.images).find((img) => img.repoDigests.includes(repoDigest));
}
