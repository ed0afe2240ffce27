/**
 * Writes a fixture image as a `docker save` tarball in the classic format
 * Docker wrote before v25 (and `docker load` still reads): manifest.json,
 * repositories, `<config hex>.json`, and one `<v1 id>/` directory per layer
 * with VERSION, json and an uncompressed layer.tar.
 */
import { rename, writeFile } from 'node:fs/promises';
import {
  digestOf,
  parseDigest,
  parseReference,
  type Digest,
  type DockerLegacyLayerJson,
  type DockerRepositories,
  type DockerSaveManifest,
} from '@berth/spec';
import { FixtureError } from './errors';
import { buildFixtureImage, type FixtureImageOptions } from './image';
import { FIXTURE_CREATED, FIXTURE_EPOCH, createTar, type TarEntry } from './tar';

export interface DockerSaveOptions extends Omit<FixtureImageOptions, 'compression'> {
  /** Repository written into RepoTags and `repositories` (default `busybox`). */
  readonly repository?: string;
  readonly tag?: string;
  /**
   * Every `name:tag` to write into RepoTags and `repositories`, instead of
   * repository + tag (the first one is reported as `repoTag`); [] saves the image untagged.
   */
  readonly repoTags?: readonly string[];
}

export interface DockerSaveLayer {
  /** The legacy v1 layer ID, the name of the layer's directory. */
  readonly id: string;
  readonly diffId: Digest;
  readonly size: number;
}

export interface DockerSaveFixture {
  readonly file: string;
  /** The image ID Docker shows: the config digest. */
  readonly configDigest: Digest;
  readonly layers: readonly DockerSaveLayer[];
  /** The first of RepoTags, e.g. `busybox:latest`; empty when there are none. */
  readonly repoTag: string;
  /** Digest of the tarball file itself. */
  readonly tarballDigest: Digest;
}

/** Writes the tarball to `file` (via a temp file and rename) and returns its digests. */
export async function makeDockerSaveTarball(file: string, options: DockerSaveOptions = {}): Promise<DockerSaveFixture> {
  if (options.repository !== undefined && options.repoTags === undefined) {
    const name = parseReference(options.repository);
    if (name.tag !== undefined || name.digest !== undefined) {
      throw new FixtureError(
        `repository ${JSON.stringify(options.repository)} must not carry a tag or digest; use the tag option`,
      );
    }
  }
  const repoTags = (options.repoTags ?? [`${options.repository ?? 'busybox'}:${options.tag ?? 'latest'}`]).map(
    (repoTag) => {
      const ref = parseReference(repoTag);
      if (ref.tag === undefined || ref.digest !== undefined) {
        throw new FixtureError(`repo tag ${JSON.stringify(repoTag)} must be a name and a tag, without digest`);
      }
      return ref;
    },
  );
  const image = buildFixtureImage({ ...options, compression: 'none' });
  const { hex: configHex } = parseDigest(image.configDigest);

  const entries: TarEntry[] = [];
  const layers: DockerSaveLayer[] = [];
  let parent: string | undefined;
  image.layerTars.forEach((tar, i) => {
    const diffId = image.config.rootfs.diff_ids[i] as Digest;
    // v1 IDs only need to be stable and unique per chain; Docker derived them
    // from the parent's ID and the layer content in the same spirit.
    const id = parseDigest(digestOf(`${parent ?? ''}\n${diffId}`)).hex;
    const json: DockerLegacyLayerJson = {
      id,
      ...(parent !== undefined ? { parent } : {}),
      created: FIXTURE_CREATED,
      os: image.config.os,
      architecture: image.config.architecture,
    };
    entries.push(
      { type: 'dir', path: id, mode: 0o755 },
      { type: 'file', path: `${id}/VERSION`, data: '1.0' },
      { type: 'file', path: `${id}/json`, data: JSON.stringify(json) },
      { type: 'file', path: `${id}/layer.tar`, data: tar },
    );
    layers.push({ id, diffId, size: tar.length });
    parent = id;
  });

  const manifest: DockerSaveManifest = [
    {
      Config: `${configHex}.json`,
      // saving by image ID gives no tags; Docker writes null then
      RepoTags: repoTags.length > 0 ? repoTags.map((r) => r.familiarString) : null,
      Layers: layers.map((l) => `${l.id}/layer.tar`),
    },
  ];
  const repositories: DockerRepositories = {};
  for (const r of repoTags) (repositories[r.familiarName] ??= {})[r.tag as string] = parent as string;
  entries.push(
    { type: 'file', path: `${configHex}.json`, data: image.configBytes },
    { type: 'file', path: 'manifest.json', data: JSON.stringify(manifest) },
    { type: 'file', path: 'repositories', data: JSON.stringify(repositories) },
  );

  const tarball = createTar(entries.map((e) => ({ ...e, mtime: FIXTURE_EPOCH })));
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, tarball);
  await rename(tmp, file);
  return {
    file,
    configDigest: image.configDigest,
    layers,
    repoTag: repoTags[0]?.familiarString ?? '',
    tarballDigest: digestOf(tarball),
  };
}
