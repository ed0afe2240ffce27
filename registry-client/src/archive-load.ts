import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import {
  DockerMediaType,
  decodeDockerRepositories,
  decodeDockerSaveManifest,
  layerCompression,
  parseDockerRef,
  type DockerLegacyLayerJson,
} from '@berth/spec';
import type { ContentSink } from './content';
import { digestOf, checkDigest, digestAlgorithm } from './digest';
import { ArchiveError, DigestMismatchError, SizeMismatchError } from './errors';
import { CONTAINERD_NAME, OciLayout, REF_NAME } from './oci-layout';
import { extractTar, openFile, resolveEntry, zstdDecompress, type ExtractedTree } from './tar';
import { isIndexMediaType, isManifestMediaType, type Descriptor, type ImageIndex } from './types';
import { parseImageIndex, parseImageManifest } from './validate';

export interface LoadedImage {
  /** Full references the archive names the image by (`docker.io/library/busybox:latest`). */
  names: string[];
  /** The manifest (or index) stored for it. */
  descriptor: Descriptor;
}

export interface LoadOptions {
  /** Where to unpack the archive while it is checked (default: the OS temp dir). */
  tmpDir?: string;
}

/** A blob checked and ready to store: where its bytes are. */
interface Staged {
  desc: Descriptor;
  file?: string;
  bytes?: Buffer;
}

/**
 * Loads a `docker save` tarball (Docker 25+ combined, classic, or the legacy
 * `<id>/layer.tar` layout), an OCI layout (directory or tar, gzip'd or not),
 * or what `skopeo copy ... docker-archive:` / `oci-archive:` wrote. Every
 * digest, size and diffID is checked before anything reaches the sink, so a
 * broken archive stores nothing.
 */
export async function loadArchive(input: string | Readable, sink: ContentSink, options: LoadOptions = {}): Promise<LoadedImage[]> {
  const label = typeof input === 'string' ? input : 'archive';
  if (typeof input === 'string' && (await fs.stat(input).catch(() => undefined))?.isDirectory()) {
    const layout = await OciLayout.open(input);
    const tree: ExtractedTree = { root: layout.dir, files: new Set(await listFiles(layout.dir)), links: new Map() };
    return commit(sink, await stageOci(tree, label));
  }
  const tmp = await fs.mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'berth-load-'));
  try {
    const tree = await extractTar(typeof input === 'string' ? openFile(input) : input, tmp, label);
    let staged: StagedImages;
    if (tree.files.has('index.json') && tree.files.has('oci-layout')) staged = await stageOci(tree, label);
    else if (tree.files.has('manifest.json')) staged = await stageDocker(tree, label);
    else if (tree.files.has('repositories')) staged = await stageLegacy(tree, label);
    else throw new ArchiveError(`${label}: neither a docker save archive (manifest.json) nor an OCI layout (index.json)`);
    return await commit(sink, staged);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** Loads into an OCI layout directory, naming each image as containerd and skopeo do. */
export async function loadToLayout(input: string | Readable, dir: string, options: LoadOptions = {}): Promise<LoadedImage[]> {
  const layout = await OciLayout.open(dir, { create: true });
  const images = await loadArchive(input, layout, { tmpDir: options.tmpDir ?? layout.dir });
  for (const image of images) {
    if (image.names.length === 0) await layout.addManifest(image.descriptor);
    for (const name of image.names) {
      const ref = parseDockerRef(name);
      await layout.addManifest(image.descriptor, ref.toString(), { [CONTAINERD_NAME]: ref.toString() });
    }
  }
  return images;
}

interface StagedImages {
  blobs: Map<string, Staged>;
  images: LoadedImage[];
}

async function commit(sink: ContentSink, staged: StagedImages): Promise<LoadedImage[]> {
  // Manifests and indexes last, so a reader never finds one whose blobs are missing.
  const order = [...staged.blobs.values()].sort(
    (a, b) => Number(isTopLevel(a.desc.mediaType)) - Number(isTopLevel(b.desc.mediaType)) || Number(isIndexMediaType(a.desc.mediaType)) - Number(isIndexMediaType(b.desc.mediaType)),
  );
  for (const blob of order) {
    if (await sink.has(blob.desc.digest)) continue;
    const w = await sink.writer(blob.desc);
    try {
      if (blob.bytes) await w.write(blob.bytes);
      else for await (const chunk of createReadStream(blob.file as string, { highWaterMark: 1 << 20 })) await w.write(chunk as Buffer);
      await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }
  return staged.images;
}

const isTopLevel = (mediaType: string): boolean => isManifestMediaType(mediaType) || isIndexMediaType(mediaType);

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/** Hashes a file: its digest (with the algorithm of `like`) and size. */
async function hashFile(file: string, like = 'sha256:'): Promise<{ digest: string; size: number }> {
  const alg = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  const h = createHash(alg);
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `${alg}:${h.digest('hex')}`, size };
}

/** sha256 of a layer's uncompressed tar: its diffID. */
async function diffIdOf(file: string, compression: 'none' | 'gzip' | 'zstd', what: string): Promise<string> {
  const h = createHash('sha256');
  let stream: Readable = createReadStream(file, { highWaterMark: 1 << 20 });
  if (compression === 'gzip') stream = stream.pipe(zlib.createGunzip());
  else if (compression === 'zstd') stream = zstdDecompress(stream, what);
  try {
    for await (const chunk of stream) h.update(chunk as Buffer);
  } catch (err) {
    throw new ArchiveError(`${what}: cannot decompress (${(err as Error).message})`, { cause: err });
  }
  return `sha256:${h.digest('hex')}`;
}

async function sniffCompression(file: string): Promise<'none' | 'gzip' | 'zstd'> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    if (bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && buf.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

function diffIds(config: Buffer, what: string): string[] {
  let parsed: { rootfs?: { diff_ids?: unknown } };
  try {
    parsed = JSON.parse(config.toString('utf8')) as typeof parsed;
  } catch {
    throw new ArchiveError(`${what}: image config is not JSON`);
  }
  const ids = parsed.rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string')) {
    throw new ArchiveError(`${what}: image config has no rootfs.diff_ids`);
  }
  return ids as string[];
}

async function checkLayers(
  layers: { file: string; desc: Descriptor }[],
  config: Buffer,
  what: string,
): Promise<void> {
  const ids = diffIds(config, what);
  if (ids.length !== layers.length) {
    throw new ArchiveError(`${what}: config lists ${ids.length} diff_ids but the image has ${layers.length} layers`);
  }
  for (const [i, layer] of layers.entries()) {
    const declared = layerCompression(layer.desc.mediaType);
    const compression = declared ?? (await sniffCompression(layer.file));
    const actual = await diffIdOf(layer.file, compression, `${what} layer ${i} (${layer.desc.digest})`);
    if (actual !== ids[i]) throw new DigestMismatchError(ids[i], actual, `${what}: diffID of layer ${i} (${layer.desc.digest})`);
  }
}

// ---- OCI image layout ----

async function stageOci(tree: ExtractedTree, label: string): Promise<StagedImages> {
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
    const layers = [];
    for (const layer of manifest.layers) layers.push({ desc: layer, file: await stageBlob(layer, 'layer') });
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

// ---- docker save ----

async function stageDocker(tree: ExtractedTree, label: string): Promise<StagedImages> {
  const entries = decodeDockerSaveManifest(await fs.readFile(resolveEntry(tree, 'manifest.json', label)), `${label}: manifest.json`);
  const blobs = new Map<string, Staged>();
  const images: LoadedImage[] = [];
  for (const [i, entry] of entries.entries()) {
    const what = `${label}: manifest.json[${i}]`;
    const configBytes = await fs.readFile(resolveEntry(tree, entry.Config, label));
    const configDigest = digestOf(configBytes);
    checkNamedDigest(entry.Config, configDigest, `${what}.Config`);
    const layers: { file: string; desc: Descriptor }[] = [];
    for (const layerPath of entry.Layers) {
      const file = resolveEntry(tree, layerPath, label);
      const { digest, size } = await hashFile(file);
      checkNamedDigest(layerPath, digest, `${what} layer ${layerPath}`);
      const compression = await sniffCompression(file);
      const mediaType = { none: DockerMediaType.Layer, gzip: DockerMediaType.LayerGzip, zstd: DockerMediaType.LayerZstd }[compression];
      layers.push({ file, desc: { mediaType, digest, size } });
    }
    await checkLayers(layers, configBytes, what);
    const manifest = {
      schemaVersion: 2,
      mediaType: DockerMediaType.Manifest,
      config: { mediaType: DockerMediaType.Config, size: configBytes.length, digest: configDigest },
      layers: layers.map((l) => l.desc),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 3));
    const desc: Descriptor = { mediaType: DockerMediaType.Manifest, digest: digestOf(manifestBytes), size: manifestBytes.length };
    blobs.set(configDigest, { desc: manifest.config, bytes: configBytes });
    for (const l of layers) blobs.set(l.desc.digest, l);
    blobs.set(desc.digest, { desc, bytes: manifestBytes });
    images.push({ names: (entry.RepoTags ?? []).map((t) => parseDockerRef(t).toString()), descriptor: desc });
  }
  return { blobs, images };
}

/** `blobs/sha256/<hex>` and `<hex>.json` name their content: the name must match. */
function checkNamedDigest(name: string, digest: string, what: string): void {
  const m = /(?:^|\/)(sha256|sha512)\/([a-f0-9]+)$/.exec(name) ?? /^([a-f0-9]{64})\.json$/.exec(name);
  if (!m) return;
  const named = m.length === 3 ? `${m[1]}:${m[2]}` : `sha256:${m[1]}`;
  if (named.startsWith(`${digestAlgorithm(digest)}:`) && named !== digest) throw new DigestMismatchError(named, digest, what);
}

// ---- legacy docker save (<id>/layer.tar, <id>/json, repositories) ----

async function stageLegacy(tree: ExtractedTree, label: string): Promise<StagedImages> {
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

