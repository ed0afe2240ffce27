import { promises as fs } from 'node:fs';
import { isNonDistributableLayer, parseDockerRef } from '@berth/spec';
import { checkDigest } from './digest';
import { ArchiveError, DigestMismatchError, SizeMismatchError } from './errors';
import { CONTAINERD_NAME, REF_NAME } from './oci-layout';
import { resolveEntry, type ExtractedTree } from './tar';
import { isIndexMediaType, isManifestMediaType, type Descriptor, type ImageIndex } from './types';
import { parseImageIndex, parseImageManifest } from './validate';
import { checkLayers, hashFile, isTopLevel, type LoadedImage, type Staged, type StagedImages } from './load-common';

/** Checks an OCI image layout (extracted or a directory): every blob, manifest and diffID. */
export async function stageOci(tree: ExtractedTree, label: string): Promise<StagedImages> {
  const blobs = new Map<string, Staged>();
  const blobFile = (digest: string): string => {
    const [alg, hex] = checkDigest(digest, `${label}: descriptor`).split(':');
    return resolveEntry(tree, `blobs/${alg}/${hex}`, label);
  };
  const hasBlob = (digest: string): boolean => {
    try {
      blobFile(digest);
      return true;
    } catch {
      return false;
    }
  };
  const stageBlob = async (desc: Descriptor, what: string): Promise<string> => {
    const file = blobFile(desc.digest);
    if (!blobs.has(desc.digest)) {
      const { digest, size } = await hashFile(file, desc.digest);
      if (digest !== desc.digest) throw new DigestMismatchError(desc.digest, digest, `${label}: ${what}`);
      if (size !== desc.size) throw new SizeMismatchError(`${label}: ${what} ${desc.digest}`, desc.size, size);
      blobs.set(desc.digest, { desc, file });
    }
    return file;
  };
  const stageManifest = async (desc: Descriptor): Promise<void> => {
    if (isIndexMediaType(desc.mediaType)) {
      const bytes = await fs.readFile(await stageBlob(desc, 'index'));
      const value = parseImageIndex(bytes, desc.mediaType, `${label}: index ${desc.digest}`);
      for (const child of value.manifests) {
        // Indexes may list platforms the archive does not carry (skopeo copies one).
        if (isTopLevel(child.mediaType) && hasBlob(child.digest)) await stageManifest(child);
      }
      return;
    }
    if (!isManifestMediaType(desc.mediaType)) return; // artifacts pass through unchecked
    const bytes = await fs.readFile(await stageBlob(desc, 'manifest'));
    const manifest = parseImageManifest(bytes, desc.mediaType, `${label}: manifest ${desc.digest}`);
    const configFile = await stageBlob(manifest.config, 'config');
    const layers: { desc: Descriptor; file?: string }[] = [];
    for (const layer of manifest.layers) {
      // A non-distributable layer the archive does not carry keeps its descriptor (urls), as skopeo leaves it.
      if (isNonDistributableLayer(layer.mediaType) && !hasBlob(layer.digest)) layers.push({ desc: layer });
      else layers.push({ desc: layer, file: await stageBlob(layer, 'layer') });
    }
    await checkLayers(layers, await fs.readFile(configFile), `${label}: image ${desc.digest}`);
  };

  let index: ImageIndex;
  try {
    index = JSON.parse(await fs.readFile(resolveEntry(tree, 'index.json', label), 'utf8')) as ImageIndex;
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    throw new ArchiveError(`${label}: index.json is not JSON`);
  }
  if (!Array.isArray(index.manifests)) throw new ArchiveError(`${label}: index.json has no manifests array`);
  const images: LoadedImage[] = [];
  for (const entry of index.manifests) {
    await stageManifest(entry);
    const names: string[] = [];
    const full = entry.annotations?.[CONTAINERD_NAME];
    const refName = entry.annotations?.[REF_NAME];
    for (const candidate of [full, refName]) {
      if (!candidate || names.length) continue;
      try {
        // A bare tag ("latest") names no repository; only full references count.
        if (candidate.includes('/') || candidate === full) names.push(parseDockerRef(candidate).toString());
      } catch {
        // Not a reference: keep the image unnamed rather than fail the load.
      }
    }
    const { annotations: _a, ...desc } = entry;
    images.push({ names, descriptor: desc });
  }
  return { blobs, images };
}

