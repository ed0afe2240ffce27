import { createHash, type Hash } from 'node:crypto';
import { BerthError } from '@berth/spec';
import { DigestMismatchError } from './errors';

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** Only digests we can verify, in canonical form; anything else could name a path. */
export function checkDigest(digest: string, what = 'digest'): string {
  if (!DIGEST.test(digest)) throw new BerthError('ERR_BERTH_INVALID_DIGEST', `${what}: "${digest}" is not a sha256/sha512 digest`);
  return digest;
}

export function digestAlgorithm(digest: string): 'sha256' | 'sha512' {
  return checkDigest(digest).startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function hasherFor(digest: string): Hash {
  return createHash(digestAlgorithm(digest));
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function digestOf(data: Buffer, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

export function verifyBytes(data: Buffer, digest: string, what: string): void {
  const actual = digestOf(data, digestAlgorithm(digest));
  if (actual !== digest) throw new DigestMismatchError(what, digest, actual);
}
