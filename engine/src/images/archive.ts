/** `berth save` and `berth load`: the registry client's archive formats over the store. */
import type { Writable, Readable } from 'node:stream';
import { loadArchive, saveArchive, type SaveImage } from '@berth/registry-client';
import { parseDockerRef, type ImageReference } from '@berth/spec';
import type { Store } from '@berth/store';
import { platformManifest, registerImage } from './register';
import { StoreContent } from './store-content';

export class NoSuchImageError extends Error {}

/** Writes the images to a `docker save` tarball that is also an OCI layout (Docker 25+). */
export async function saveImages(store: Store, inputs: readonly string[], target: string | Writable): Promise<void> {
  const source = new StoreContent(store);
  const images: SaveImage[] = [];
  for (const input of inputs) {
    const entry = await store.images.get(input);
    if (!entry) throw new NoSuchImageError(`No such image: ${input}`);
    // Saved under the name given; an image ID is saved by digest (no RepoTags), as `docker save <id>`.
    let reference: string;
    const asName = tryRef(input);
    if (asName && entry.tags.includes(asName.toString())) reference = asName.toString();
    else {
      const named = entry.repoDigests[0] ?? entry.tags[0];
      if (named === undefined) throw new NoSuchImageError(`image ${input} has no name to save it under; tag it first`);
      reference = parseDockerRef(named).withoutTagOrDigest().withDigest(entry.digest).toString();
    }
    images.push({ reference, descriptor: { mediaType: entry.mediaType, digest: entry.digest, size: entry.size }, source });
  }
  await saveArchive(images, target);
}

function tryRef(input: string): ImageReference | undefined {
  try {
    return parseDockerRef(input);
  } catch {
    return undefined;
  }
}

export interface Loaded {
  /** Full names the image got, or none (then `id` is what a user sees). */
  names: string[];
  /** The image ID (config digest). */
  id: string;
}

/** Loads a tarball (docker save, OCI, skopeo archives) or an OCI layout directory; every digest is checked first. */
export async function loadImages(store: Store, input: string | Readable): Promise<Loaded[]> {
  return store.withLease(async (lease) => {
    const sink = new StoreContent(store, (d) => lease.protect(d));
    const loaded = await loadArchive(input, sink);
    const out: Loaded[] = [];
    for (const image of loaded) {
      const refs = image.names.map((n) => parseDockerRef(n));
      const manifest = await platformManifest(store, image.descriptor, image.names[0] ?? image.descriptor.digest);
      const entry = await registerImage(store, lease, manifest, refs.filter((r) => r.digest === undefined || r.digest === manifest.digest));
      out.push({ names: refs.map((r) => r.toString()), id: entry.config });
    }
    return out;
  });
}
