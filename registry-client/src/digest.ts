import { createHash, type Hash } from 'node:crypto';
import { DigestMismatchError, InvalidDigestError, digestOf, validateDigest } from '@berth/spec';

export { digestOf };

/** Only digests we can verify, in canonical form; anything else could name a path. */
export function checkDigest(digest: string, what?: string): string {
  try {
    return validateDigest(digest);
  } catch (err) {
    if (what && err instanceof InvalidDigestError) throw new InvalidDigestError(digest, `${what}: ${err.message}`);
    throw err;
  }
}

export function digestAlgorithm(digest: string): 'sha256' | 'sha512' {
  return checkDigest(digest).startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function hasherFor(digest: string): Hash {
  return createHash(digestAlgorithm(digest));
}

/** The sha256 digest of bytes in memory (public API kept; @berth/spec does the hashing). */
export function sha256(data: Buffer | string): string {
  return digestOf(data);
}

export function verifyBytes(data: Buffer, digest: string, what: string): void {
  const actual = digestOf(data, digestAlgorithm(digest));
  if (actual !== digest) throw new DigestMismatchError(digest, actual, what);
}
