/**
 * Image references, parsed and normalised the way Docker does
 * (distribution/reference's ParseNormalizedNamed / ParseDockerRef):
 *
 *   busybox                    -> docker.io/library/busybox (+ :latest by default)
 *   index.docker.io/x/y:1      -> docker.io/x/y:1
 *   localhost:5000/a/b@sha256:… -> domain localhost:5000, path a/b
 *
 * The grammar is distribution's; the checks run one part at a time so each
 * error can say which part (registry, repository, tag, digest) is wrong.
 */
import { BerthError } from './errors';
import { InvalidDigestError, parseDigest, type Digest } from './digest';

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
/** Longest repository name, domain included (distribution's NameTotalLengthMax). */
export const NAME_TOTAL_LENGTH_MAX = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const TAG = /^\w[\w.-]{0,127}$/;
const IDENTIFIER = /^[a-f0-9]{64}$/;

/** An image reference that does not follow the grammar; `input` is what was given. */
export class InvalidReferenceError extends BerthError {
  readonly input: string;

  constructor(input: string, reason: string, options?: { cause?: unknown }) {
    super('ERR_BERTH_INVALID_REFERENCE', `invalid reference ${JSON.stringify(input)}: ${reason}`, options);
    this.input = input;
  }
}

export interface ReferenceParts {
  /** Registry host with optional port, e.g. `docker.io`, `localhost:5000`. */
  readonly domain: string;
  /** Repository path within the registry, e.g. `library/busybox`. */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

/** A parsed, normalised image reference. Immutable; `with*` return copies. */
export class ImageReference implements ReferenceParts {
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;

  /** Takes parts as they are (no Docker Hub normalisation) and validates each. */
  constructor(parts: ReferenceParts) {
    const shown = `${parts.domain}/${parts.path}${parts.tag !== undefined ? `:${parts.tag}` : ''}${
      parts.digest !== undefined ? `@${parts.digest}` : ''
    }`;
    checkName(shown, parts.domain, parts.path);
    if (parts.tag !== undefined) checkTag(shown, parts.tag);
    if (parts.digest !== undefined) checkDigest(shown, parts.digest);
    this.domain = parts.domain;
    this.path = parts.path;
    if (parts.tag !== undefined) this.tag = parts.tag;
    if (parts.digest !== undefined) this.digest = parts.digest;
  }

  /** The full repository name: `docker.io/library/busybox`. */
  get name(): string {
    return `${this.domain}/${this.path}`;
  }

  /** The name as Docker shows it: `busybox`, `user/app`, `quay.io/x/y`. */
  get familiarName(): string {
    if (this.domain !== DEFAULT_DOMAIN) return this.name;
    if (this.path.startsWith(OFFICIAL_REPO_PREFIX)) {
      const rest = this.path.slice(OFFICIAL_REPO_PREFIX.length);
      if (!rest.includes('/')) return rest;
    }
    return this.path;
  }

  /** `busybox:latest`, `quay.io/x/y@sha256:…` */
  get familiarString(): string {
    return this.familiarName + this.suffix();
  }

  /** The canonical form: `docker.io/library/busybox:latest`. */
  toString(): string {
    return this.name + this.suffix();
  }

  toJSON(): string {
    return this.toString();
  }

  withTag(tag: string): ImageReference {
    checkTag(this.toString(), tag);
    return new ImageReference({ domain: this.domain, path: this.path, tag, digest: this.digest });
  }

  withDigest(digest: string): ImageReference {
    return new ImageReference({
      domain: this.domain,
      path: this.path,
      tag: this.tag,
      digest: checkDigest(this.toString(), digest),
    });
  }

  /** The repository alone, without tag or digest. */
  withoutTagOrDigest(): ImageReference {
    return new ImageReference({ domain: this.domain, path: this.path });
  }

  private suffix(): string {
    return (this.tag !== undefined ? `:${this.tag}` : '') + (this.digest !== undefined ? `@${this.digest}` : '');
  }
}

/**
 * Parses a reference as `docker pull` reads it and normalises the name
 * (ParseNormalizedNamed). Tag and digest are kept as given; no default tag.
 */
export function parseReference(input: string): ImageReference {
  if (input === '') throw new InvalidReferenceError(input, 'repository name must not be empty');
  if (IDENTIFIER.test(input)) {
    throw new InvalidReferenceError(input, 'a 64-character hexadecimal string is an image ID, not a repository name');
  }

  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = checkDigest(input, rest.slice(at + 1));
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    checkTag(input, tag);
  }

  const { domain, path } = splitDockerDomain(rest);
  checkName(input, domain, path);
  return new ImageReference({ domain, path, tag, digest });
}

/**
 * Parses a reference for pulling (ParseDockerRef): a name alone gets the
 * `latest` tag; with both a tag and a digest, the digest wins and the tag is
 * dropped, because the content is pinned by the digest.
 */
export function parseDockerRef(input: string): ImageReference {
  const ref = parseReference(input);
  if (ref.digest !== undefined) {
    return new ImageReference({ domain: ref.domain, path: ref.path, digest: ref.digest });
  }
  return ref.tag === undefined ? ref.withTag(DEFAULT_TAG) : ref;
}

/** Parses a repository name that must carry neither tag nor digest (`berth push` targets, `repositories`). */
export function parseRepositoryName(input: string): ImageReference {
  const ref = parseReference(input);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new InvalidReferenceError(input, 'expected a repository name without tag or digest');
  }
  return ref;
}

/** Checks a tag alone (`berth tag src name:TAG`). */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

function checkName(input: string, domain: string, path: string): void {
  if (!HOST.test(domain)) {
    throw new InvalidReferenceError(input, `invalid registry host ${JSON.stringify(domain)}`);
  }
  if (path.toLowerCase() !== path) {
    throw new InvalidReferenceError(input, `repository name ${JSON.stringify(path)} must be lowercase`);
  }
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      throw new InvalidReferenceError(
        input,
        component === ''
          ? `repository name ${JSON.stringify(path)} has an empty path component`
          : `invalid repository path component ${JSON.stringify(component)}: ` +
              'use lowercase letters and digits, separated by ".", "_", "__" or "-"',
      );
    }
  }
  const name = `${domain}/${path}`;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidReferenceError(
      input,
      `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters (${name} is ${name.length})`,
    );
  }
}

/**
 * Docker's domain heuristic: the part before the first "/" is a registry if it
 * is `localhost`, contains "." or ":", or has uppercase letters (repository
 * names cannot); otherwise the whole name is a Docker Hub repository.
 */
function splitDockerDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let path = name;
  if (slash !== -1) {
    const first = name.slice(0, slash);
    if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) {
      domain = first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first;
      path = name.slice(slash + 1);
    }
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
  return { domain, path };
}

function checkTag(input: string, tag: string): void {
  if (TAG.test(tag)) return;
  if (tag.length > 128) {
    throw new InvalidReferenceError(input, `tag is ${tag.length} characters long; at most 128 are allowed`);
  }
  throw new InvalidReferenceError(
    input,
    `invalid tag ${JSON.stringify(tag)}: a tag is letters, digits, "_", "." and "-", not starting with "." or "-"`,
  );
}

function checkDigest(input: string, digest: string): Digest {
  try {
    parseDigest(digest);
  } catch (err) {
    if (!(err instanceof InvalidDigestError)) throw err;
    throw new InvalidReferenceError(input, err.message, { cause: err });
  }
  return digest as Digest;
}
