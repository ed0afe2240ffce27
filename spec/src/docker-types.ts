/**
 * Docker's own image formats, which have no JSON schema, written from their
 * documentation: the image manifest v2 schema 2, the manifest list, and the
 * files of a `docker save` tarball (manifest.json, repositories, the legacy
 * per-layer `json`). The decoders check shape and digests and fail with a
 * ValidationError naming each JSON path that is wrong.
 */
import { ValidationError } from './errors';
import { isDigest, type Digest } from './digest';
import { DockerMediaType } from './media-types';
import type { ImagePlatform } from './platform';

/** A content descriptor as Docker's schema 2 documents write it (assignable to the OCI Descriptor). */
export type DockerDescriptor = {
  mediaType: string;
  size: number;
  digest: Digest;
  /** Where foreign layers can be fetched from. */
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: ImagePlatform;
};

/** `application/vnd.docker.distribution.manifest.v2+json` */
export interface DockerManifest {
  schemaVersion: 2;
  mediaType: typeof DockerMediaType.Manifest;
  config: DockerDescriptor;
  layers: DockerDescriptor[];
}

export type DockerManifestListEntry = DockerDescriptor & {
  platform: ImagePlatform;
};

/** `application/vnd.docker.distribution.manifest.list.v2+json` */
export interface DockerManifestList {
  schemaVersion: 2;
  mediaType: typeof DockerMediaType.ManifestList;
  manifests: DockerManifestListEntry[];
}

/** One image in a `docker save` manifest.json (the file is an array of these). */
export interface DockerSaveManifestEntry {
  /** Path of the image config inside the tarball (`<hex>.json` or `blobs/sha256/<hex>`). */
  Config: string;
  /** `name:tag` familiar references; null when saved by ID. */
  RepoTags: string[] | null;
  /** Paths of the layer tarballs inside the tarball, base layer first. */
  Layers: string[];
  /** ID of the parent image, set by old Docker versions. */
  Parent?: string;
  /** Descriptors of foreign layers, keyed by diff ID. */
  LayerSources?: Record<string, DockerDescriptor>;
}

export type DockerSaveManifest = DockerSaveManifestEntry[];

/** `repositories`: familiar repository name -> tag -> top layer's v1 ID. */
export type DockerRepositories = Record<string, Record<string, string>>;

/** The legacy `<layer id>/json` file of a `docker save` tarball (v1 layer metadata). */
export interface DockerLegacyLayerJson {
  id: string;
  parent?: string;
  created?: string;
  os?: string;
  architecture?: string;
  config?: Record<string, unknown>;
  container_config?: Record<string, unknown>;
}

type Json = unknown;

/** Collects `<path>: <problem>` lines while walking a document. */
class Checker {
  readonly problems: string[] = [];

  fail(path: string, problem: string): void {
    this.problems.push(`${path}: ${problem}`);
  }

  object(v: Json, path: string): v is Record<string, Json> {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return true;
    this.fail(path, `expected an object, got ${describe(v)}`);
    return false;
  }

  array(v: Json, path: string): v is Json[] {
    if (Array.isArray(v)) return true;
    this.fail(path, `expected an array, got ${describe(v)}`);
    return false;
  }

  string(v: Json, path: string): v is string {
    if (typeof v === 'string') return true;
    this.fail(path, `expected a string, got ${describe(v)}`);
    return false;
  }

  stringArray(v: Json, path: string): void {
    if (this.array(v, path)) v.forEach((s, i) => this.string(s, `${path}[${i}]`));
  }

  stringMap(v: Json, path: string): void {
    if (this.object(v, path)) for (const [k, s] of Object.entries(v)) this.string(s, `${path}.${k}`);
  }

  descriptor(v: Json, path: string, platformRequired = false): void {
    if (!this.object(v, path)) return;
    this.string(v.mediaType, `${path}.mediaType`);
    if (!(typeof v.size === 'number' && Number.isSafeInteger(v.size) && v.size >= 0)) {
      this.fail(`${path}.size`, `expected a non-negative integer, got ${describe(v.size)}`);
    }
    if (this.string(v.digest, `${path}.digest`) && !isDigest(v.digest)) {
      this.fail(`${path}.digest`, `expected sha256:<64 hex> or sha512:<128 hex>, got ${JSON.stringify(v.digest)}`);
    }
    if (v.urls !== undefined) this.stringArray(v.urls, `${path}.urls`);
    if (v.annotations !== undefined) this.stringMap(v.annotations, `${path}.annotations`);
    if (v.platform !== undefined || platformRequired) this.platform(v.platform, `${path}.platform`);
  }

  platform(v: Json, path: string): void {
    if (!this.object(v, path)) return;
    this.string(v.architecture, `${path}.architecture`);
    this.string(v.os, `${path}.os`);
    for (const key of ['os.version', 'variant']) if (v[key] !== undefined) this.string(v[key], `${path}.${key}`);
    for (const key of ['os.features', 'features']) if (v[key] !== undefined) this.stringArray(v[key], `${path}.${key}`);
  }

  constant(v: Json, path: string, expected: string | number): void {
    if (v !== expected) this.fail(path, `expected ${JSON.stringify(expected)}, got ${describe(v)}`);
  }

  done<T>(what: string, value: Json): T {
    if (this.problems.length > 0) throw new ValidationError(what, this.problems);
    return value as T;
  }
}

function describe(v: Json): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** JSON.parse that reports bad JSON as a ValidationError naming the document. */
function parseJson(what: string, text: string | Uint8Array): Json {
  try {
    return JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  } catch (err) {
    throw new ValidationError(what, [`$: ${(err as Error).message}`], { cause: err });
  }
}

function input(what: string, doc: string | Uint8Array | Json): Json {
  return typeof doc === 'string' || doc instanceof Uint8Array ? parseJson(what, doc) : doc;
}

/** Decodes a Docker schema 2 image manifest (JSON text, bytes, or a parsed value). */
export function decodeDockerManifest(doc: string | Uint8Array | Json, what = 'Docker image manifest'): DockerManifest {
  const v = input(what, doc);
  const c = new Checker();
  if (c.object(v, '$')) {
    c.constant(v.schemaVersion, '$.schemaVersion', 2);
    c.constant(v.mediaType, '$.mediaType', DockerMediaType.Manifest);
    c.descriptor(v.config, '$.config');
    if (c.array(v.layers, '$.layers')) v.layers.forEach((l, i) => c.descriptor(l, `$.layers[${i}]`));
  }
  return c.done(what, v);
}

/** Decodes a Docker manifest list. */
export function decodeDockerManifestList(
  doc: string | Uint8Array | Json,
  what = 'Docker manifest list',
): DockerManifestList {
  const v = input(what, doc);
  const c = new Checker();
  if (c.object(v, '$')) {
    c.constant(v.schemaVersion, '$.schemaVersion', 2);
    c.constant(v.mediaType, '$.mediaType', DockerMediaType.ManifestList);
    if (c.array(v.manifests, '$.manifests')) {
      v.manifests.forEach((m, i) => c.descriptor(m, `$.manifests[${i}]`, true));
    }
  }
  return c.done(what, v);
}

/** Decodes the manifest.json of a `docker save` tarball. */
export function decodeDockerSaveManifest(
  doc: string | Uint8Array | Json,
  what = 'docker save manifest.json',
): DockerSaveManifest {
  const v = input(what, doc);
  const c = new Checker();
  if (c.array(v, '$')) {
    v.forEach((entry, i) => {
      const path = `$[${i}]`;
      if (!c.object(entry, path)) return;
      c.string(entry.Config, `${path}.Config`);
      if (entry.RepoTags !== null) c.stringArray(entry.RepoTags, `${path}.RepoTags`);
      c.stringArray(entry.Layers, `${path}.Layers`);
      if (entry.Parent !== undefined) c.string(entry.Parent, `${path}.Parent`);
      if (entry.LayerSources !== undefined && c.object(entry.LayerSources, `${path}.LayerSources`)) {
        for (const [k, d] of Object.entries(entry.LayerSources)) c.descriptor(d, `${path}.LayerSources.${k}`);
      }
    });
  }
  return c.done(what, v);
}

/** Decodes the `repositories` file of a `docker save` tarball. */
export function decodeDockerRepositories(
  doc: string | Uint8Array | Json,
  what = 'docker save repositories',
): DockerRepositories {
  const v = input(what, doc);
  const c = new Checker();
  if (c.object(v, '$')) for (const [name, tags] of Object.entries(v)) c.stringMap(tags, `$.${name}`);
  return c.done(what, v);
}
