import { promises as fs } from 'node:fs';
import { DockerMediaType, isNonDistributableLayer, decodeDockerRepositories, decodeDockerSaveManifest, parseDockerRef, type DockerLegacyLayerJson } from '@berth/spec';
import { digestOf, digestAlgorithm } from './digest';
import { ArchiveError, DigestMismatchError } from './errors';
import { resolveEntry, type ExtractedTree } from './tar';
import { type Descriptor } from './types';
import { checkLayers, diffIdOf, diffIds, hashFile, sniffCompression, type LoadedImage, type Staged, type StagedImages } from './load-common';

/** Checks a `docker save` archive and builds Docker schema 2 manifests for its images. */
export async function stageDocker(tree: ExtractedTree, label: string): Promise<StagedImages> {
  const entries = decodeDockerSaveManifest(await fs.readFile(resolveEntry(tree, 'manifest.json', label)), `${label}: manifest.json`);
  const blobs = new Map<string, Staged>();
  const images: LoadedImage[] = [];
  for (const [i, entry] of entries.entries()) {
    const what = `${label}: manifest.json[${i}]`;
    const configBytes = await fs.readFile(resolveEntry(tree, entry.Config, label));
    const configDigest = digestOf(configBytes);
    checkNamedDigest(entry.Config, configDigest, `${what}.Config`);
    const ids = diffIds(configBytes, what);
    // `checks` verifies diffIDs; `layers` is what the manifest lists and what is stored.
    const checks: { file?: string; desc: Descriptor }[] = [];
    const layers: { file?: string; desc: Descriptor }[] = [];
    for (const [i, layerPath] of entry.Layers.entries()) {
      const foreign = entry.LayerSources?.[ids[i] ?? ''];
      if (foreign && isNonDistributableLayer(foreign.mediaType)) {
        const staged = await stageForeign(tree, layerPath, foreign, label);
        checks.push(staged.check);
        layers.push(staged.layer);
        continue;
      }
      const file = resolveEntry(tree, layerPath, label);
      const { digest, size } = await hashFile(file);
      checkNamedDigest(layerPath, digest, `${what} layer ${layerPath}`);
      const layer = { file, desc: { mediaType: await mediaTypeOf(file), digest, size } };
      checks.push(layer);
      layers.push(layer);
    }
    await checkLayers(checks, configBytes, what);
    const manifest = {
      schemaVersion: 2,
      mediaType: DockerMediaType.Manifest,
      config: { mediaType: DockerMediaType.Config, size: configBytes.length, digest: configDigest },
      layers: layers.map((l) => l.desc),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 3));
    const desc: Descriptor = { mediaType: DockerMediaType.Manifest, digest: digestOf(manifestBytes), size: manifestBytes.length };
    blobs.set(configDigest, { desc: manifest.config, bytes: configBytes });
    for (const l of layers) if (l.file !== undefined) blobs.set(l.desc.digest, l);
    blobs.set(desc.digest, { desc, bytes: manifestBytes });
    images.push({ names: (entry.RepoTags ?? []).map((t) => parseDockerRef(t).toString()), descriptor: desc });
  }
  return { blobs, images };
}

async function mediaTypeOf(file: string): Promise<string> {
  return { none: DockerMediaType.Layer, gzip: DockerMediaType.LayerGzip, zstd: DockerMediaType.LayerZstd }[await sniffCompression(file)];
}

/**
 * A foreign layer named in `LayerSources`: the manifest lists its descriptor (with urls). Its
 * file, when the archive has one, is either that blob (berth's save) or the uncompressed tar
 * (docker save): the first is stored, the second only checked against the diffID.
 */
async function stageForeign(
  tree: ExtractedTree,
  layerPath: string,
  foreign: Descriptor,
  label: string,
): Promise<{ check: { file?: string; desc: Descriptor }; layer: { file?: string; desc: Descriptor } }> {
  const desc: Descriptor = { mediaType: foreign.mediaType, digest: foreign.digest, size: foreign.size, ...(foreign.urls ? { urls: foreign.urls } : {}) };
  let file: string | undefined;
  try {
    file = resolveEntry(tree, layerPath, label);
  } catch {
    return { check: { desc }, layer: { desc } };
  }
  const { digest, size } = await hashFile(file, desc.digest);
  if (digest === desc.digest && size === desc.size) return { check: { file, desc }, layer: { file, desc } };
  return { check: { file, desc: { mediaType: await mediaTypeOf(file), digest, size } }, layer: { desc } };
}

/** `blobs/sha256/<hex>` and `<hex>.json` name their content: the name must match. */
function checkNamedDigest(name: string, digest: string, what: string): void {
  const m = /(?:^|\/)(sha256|sha512)\/([a-f0-9]+)$/.exec(name) ?? /^([a-f0-9]{64})\.json$/.exec(name);
  if (!m) return;
  const named = m.length === 3 ? `${m[1]}:${m[2]}` : `sha256:${m[1]}`;
  if (named.startsWith(`${digestAlgorithm(digest)}:`) && named !== digest) throw new DigestMismatchError(named, digest, what);
}

// ---- legacy docker save (<id>/layer.tar, <id>/json, repositories) ----

export async function stageLegacy(tree: ExtractedTree, label: string): Promise<StagedImages> {
  const repos = decodeDockerRepositories(await fs.readFile(resolveEntry(tree, 'repositories', label)), `${label}: repositories`);
  const byTop = new Map<string, string[]>();
  for (const [name, tags] of Object.entries(repos)) {
    for (const [tag, id] of Object.entries(tags)) byTop.set(id, [...(byTop.get(id) ?? []), `${name}:${tag}`]);
  }
  const blobs = new Map<string, Staged>();
  const images: LoadedImage[] = [];
  for (const [topId, tags] of byTop) {
    const chain: DockerLegacyLayerJson[] = [];
    for (let id: string | undefined = topId; id; ) {
      if (!/^[a-f0-9]{64}$/.test(id) || chain.length > 1000) throw new ArchiveError(`${label}: bad layer id "${id}"`);
      const json = JSON.parse(await fs.readFile(resolveEntry(tree, `${id}/json`, label), 'utf8')) as DockerLegacyLayerJson;
      chain.unshift(json);
      id = json.parent;
    }
    const layers: Staged[] = [];
    const ids: string[] = [];
    for (const layer of chain) {
      const file = resolveEntry(tree, `${layer.id}/layer.tar`, label);
      const { digest, size } = await hashFile(file);
      const compression = await sniffCompression(file);
      ids.push(compression === 'none' ? digest : await diffIdOf(file, compression, `${label}: ${layer.id}/layer.tar`));
      const mediaType = { none: DockerMediaType.Layer, gzip: DockerMediaType.LayerGzip, zstd: DockerMediaType.LayerZstd }[compression];
      layers.push({ file, desc: { mediaType, digest, size } });
    }
    // The top layer's v1 JSON is the image config, minus the v1 chain fields.
    const top = chain[chain.length - 1] as unknown as Record<string, unknown>;
    const config: Record<string, unknown> = { ...top, rootfs: { type: 'layers', diff_ids: ids } };
    for (const k of ['id', 'parent', 'Size', 'parent_id', 'layer_id']) delete config[k];
    config.history = chain.map((l) => ({ created: l.created ?? '1970-01-01T00:00:00Z' }));
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDesc: Descriptor = { mediaType: DockerMediaType.Config, digest: digestOf(configBytes), size: configBytes.length };
    const manifestBytes = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: DockerMediaType.Manifest, config: configDesc, layers: layers.map((l) => l.desc) }, null, 3),
    );
    const desc: Descriptor = { mediaType: DockerMediaType.Manifest, digest: digestOf(manifestBytes), size: manifestBytes.length };
    blobs.set(configDesc.digest, { desc: configDesc, bytes: configBytes });
    for (const l of layers) blobs.set(l.desc.digest, l);
    blobs.set(desc.digest, { desc, bytes: manifestBytes });
    images.push({ names: tags.map((t) => parseDockerRef(t).toString()), descriptor: desc });
  }
  return { blobs, images };
}

