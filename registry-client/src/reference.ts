import { InvalidReferenceError } from './errors';

/**
 * An image reference with Docker's normalisation: `nginx` is
 * `docker.io/library/nginx:latest`. (Local until @berth/spec exports one.)
 */
export interface ImageReference {
  /** Registry host as written in references: `docker.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Repository path inside the registry: `library/nginx`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;

export const DOCKER_HUB = 'docker.io';

export function parseReference(input: string): ImageReference {
  if (input.length === 0 || input.length > 4096) throw new InvalidReferenceError(input, 'empty or too long');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidReferenceError(input, `bad digest "${digest}"`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidReferenceError(input, `bad tag "${tag}"`);
  }
  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      if (!DOMAIN.test(first)) throw new InvalidReferenceError(input, `bad registry host "${first}"`);
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  for (const part of repository.split('/')) {
    if (!PATH_COMPONENT.test(part)) {
      throw new InvalidReferenceError(input, `bad repository component "${part}" (lower-case letters, digits, separators)`);
    }
  }
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, tag, digest };
}

/** The fully qualified form: `docker.io/library/nginx:latest`. */
export function formatReference(ref: ImageReference): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/** Docker's short form, used in RepoTags and messages: `nginx:latest`, `foo/bar:1`. */
export function familiarName(ref: Pick<ImageReference, 'registry' | 'repository'>): string {
  if (ref.registry === DOCKER_HUB) {
    return ref.repository.startsWith('library/') ? ref.repository.slice(8) : ref.repository;
  }
  return `${ref.registry}/${ref.repository}`;
}
