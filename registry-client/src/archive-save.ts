import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import type { Writable } from 'node:stream';
import { isNonDistributableLayer, parseDockerRef, type Digest, type DockerDescriptor, type DockerRepositories, type DockerSaveManifest } from '@berth/spec';
import type { ContentSource } from './content';
import { ArchiveError } from './errors';
import { CONTAINERD_NAME, REF_NAME } from './oci-layout';
import { selectPlatform } from './platform';
import { TarWriter } from './tar';
import { OciMediaType, isIndexMediaType, isManifestMediaType, type Descriptor, type ImageIndex, type ImageManifest } from './types';

export interface SaveImage {
  /** The name to save under (`busybox`, `registry:5000/app:1`); a digest-only reference gets no tag. */
  reference: string;
  /** A manifest, or an index (then manifest.json lists its host-platform image). */
  descriptor: Descriptor;
  source: ContentSource;
}

const blobName = (digest: string): string => `blobs/${digest.replace(':', '/')}`;

/**
 * Writes one tarball that is both a `docker save` archive (manifest.json,
 * repositories) and an OCI image layout (oci-layout, index.json with
 * containerd's and OCI's name annotations), as Docker 25+ does. Blobs are
 * stored as they are (compressed layers stay compressed), so digests are
 * those of the registry. A file target is written to a temp name and renamed.
 */
export async function saveArchive(images: readonly SaveImage[], target: string | Writable): Promise<void> {
  if (images.length === 0) throw new ArchiveError('nothing to save');
  if (typeof target !== 'string') return writeArchive(images, target);
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeArchive(images, createWriteStream(tmp));
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

async function writeArchive(images: readonly SaveImage[], out: Writable): Promise<void> {
  const tar = new TarWriter(out);
  const written = new Set<string>();
  const index: ImageIndex = { schemaVersion: 2, mediaType: OciMediaType.ImageIndex, manifests: [] };
  const manifestJson: DockerSaveManifest = [];
  const repositories: DockerRepositories = {};

  const addBlob = async (source: ContentSource, digest: string, bytes?: Buffer): Promise<void> => {
    if (written.has(digest)) return;
    written.add(digest);
    if (bytes) await tar.addBuffer(blobName(digest), bytes);
    else await tar.addStream(blobName(digest), await source.blobSize(digest), source.openBlob(digest));
  };

  try {
    for (const image of images) {
      const ref = parseDockerRef(image.reference);
      const top = await image.source.readBlob(image.descriptor.digest);
      let manifestDesc = image.descriptor;
      let manifestBytes = top;
      if (isIndexMediaType(image.descriptor.mediaType)) {
        const parsed = JSON.parse(top.toString('utf8')) as ImageIndex;
        for (const child of parsed.manifests) {
          if (isManifestMediaType(child.mediaType)) await addImage(image.source, child, await image.source.readBlob(child.digest), addBlob);
        }
        manifestDesc = selectPlatform(ref.toString(), parsed.manifests);
        manifestBytes = await image.source.readBlob(manifestDesc.digest);
      } else if (!isManifestMediaType(image.descriptor.mediaType)) {
        throw new ArchiveError(`${image.reference}: cannot save media type "${image.descriptor.mediaType}"`);
      }
      const manifest = await addImage(image.source, manifestDesc, manifestBytes, addBlob);
      await addBlob(image.source, image.descriptor.digest, top);

      const annotations: Record<string, string> = { [CONTAINERD_NAME]: ref.toString() };
      if (ref.tag) annotations[REF_NAME] = ref.tag;
      index.manifests.push({
        mediaType: image.descriptor.mediaType,
        digest: image.descriptor.digest,
        size: image.descriptor.size,
        annotations,
      });
      const repoTag = ref.tag ? `${ref.familiarName}:${ref.tag}` : undefined;
      const existing = manifestJson.find((e) => e.Config === blobName(manifest.config.digest));
      if (existing) {
        if (repoTag && !existing.RepoTags?.includes(repoTag)) existing.RepoTags = [...(existing.RepoTags ?? []), repoTag];
      } else {
        manifestJson.push({
          Config: blobName(manifest.config.digest),
          RepoTags: repoTag ? [repoTag] : null,
          Layers: manifest.layers.map((l) => blobName(l.digest)),
          ...layerSources(manifest, await image.source.readBlob(manifest.config.digest)),
        });
      }
      const topLayer = manifest.layers.at(-1);
      if (ref.tag && topLayer) {
        repositories[ref.familiarName] = { ...repositories[ref.familiarName], [ref.tag]: topLayer.digest.split(':')[1] };
      }
    }
    await tar.addBuffer('index.json', Buffer.from(JSON.stringify(index)));
    await tar.addBuffer('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
    await tar.addBuffer('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
    if (Object.keys(repositories).length) await tar.addBuffer('repositories', Buffer.from(JSON.stringify(repositories)));
    await tar.finish();
  } catch (err) {
    out.destroy();
    throw err;
  }
}

async function addImage(
  source: ContentSource,
  desc: Descriptor,
  bytes: Buffer,
  addBlob: (source: ContentSource, digest: string, bytes?: Buffer) => Promise<void>,
): Promise<ImageManifest> {
  const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest;
  await addBlob(source, manifest.config.digest, await source.readBlob(manifest.config.digest));
  for (const layer of manifest.layers) {
    // A non-distributable layer that was never fetched stays out; its descriptor (with urls) is in the manifest.
    if (isNonDistributableLayer(layer.mediaType) && !(await source.blobSize(layer.digest).then(() => true, () => false))) continue;
    await addBlob(source, layer.digest);
  }
  await addBlob(source, desc.digest, bytes);
  return manifest;
}

/** Docker's `LayerSources`: the descriptors of foreign layers, keyed by diffID, so `docker load` keeps them. */
function layerSources(manifest: ImageManifest, configBytes: Buffer): { LayerSources?: Record<string, DockerDescriptor> } {
  const foreign = manifest.layers.map((l, i) => [i, l] as const).filter(([, l]) => isNonDistributableLayer(l.mediaType));
  if (foreign.length === 0) return {};
  const diffIds = (JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
  const sources: Record<string, DockerDescriptor> = {};
  for (const [i, l] of foreign) {
    const id = diffIds[i];
    if (id) sources[id] = { mediaType: l.mediaType, digest: l.digest as Digest, size: l.size, ...(l.urls ? { urls: l.urls } : {}) };
  }
  return { LayerSources: sources };
}
