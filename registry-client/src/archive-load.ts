import { createReadStream, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { parseDockerRef } from '@berth/spec';
import type { ContentSink } from './content';
import { ArchiveError } from './errors';
import { CONTAINERD_NAME, OciLayout } from './oci-layout';
import { extractTar, openFile, type ExtractedTree } from './tar';
import { isIndexMediaType } from './types';
import { isTopLevel, type LoadedImage, type StagedImages } from './load-common';
import { stageOci } from './load-oci';
import { stageDocker, stageLegacy } from './load-docker';

export type { LoadedImage } from './load-common';

export interface LoadOptions {
  /** Where to unpack the archive while it is checked (default: the OS temp dir). */
  tmpDir?: string;
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

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

