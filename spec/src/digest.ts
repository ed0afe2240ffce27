/**
 * Content digests (`alg:hex`) as OCI image-spec defines them: sha256 and
 * sha512, lowercase hex of exactly the algorithm's length. Validation follows
 * opencontainers/go-digest so we accept and reject what Docker does.
 */
import type { Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BerthError } from './errors';

export type DigestAlgorithm = 'sha256' | 'sha512';

/** A validated digest string such as `sha256:<64 hex>`. */
export type Digest = `${DigestAlgorithm}:${string}`;

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
}

const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };
// image-spec's digest grammar; an algorithm that matches it but that we do not
// implement is "unsupported" rather than "malformed", as in go-digest.
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** A string is not a well-formed digest (bad format, length or algorithm). */
export class InvalidDigestError extends BerthError {
  readonly input: string;

  constructor(input: string, reason: string) {
    super('ERR_BERTH_INVALID_DIGEST', `invalid digest ${JSON.stringify(input)}: ${reason}`);
    this.input = input;
  }
}

/** Content did not hash (or size) to what its descriptor promised. */
export class DigestMismatchError extends BerthError {
  readonly expected: string;
  readonly actual: string;

  constructor(expected: string, actual: string, what?: string) {
    super(
      'ERR_BERTH_DIGEST_MISMATCH',
      `${what ? `${what}: ` : ''}digest mismatch: expected ${expected}, got ${actual}`,
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** Content was longer or shorter than its descriptor's size. */
export class SizeMismatchError extends BerthError {
  readonly expected: number;
  readonly actual: number;

  /** `subject` names the content: a path, or the digest it should have. */
  constructor(subject: string, expected: number, actual: number, atLeast = false) {
    super(
      'ERR_BERTH_SIZE_MISMATCH',
      `size mismatch for ${subject}: expected ${expected} bytes, got ${atLeast ? 'at least ' : ''}${actual}`,
    );
    this.expected = expected;
    this.actual = actual;
  }
}

export function isDigestAlgorithm(value: string): value is DigestAlgorithm {
  return Object.prototype.hasOwnProperty.call(HEX_LENGTH, value);
}

/** Parses and validates `alg:hex`; throws InvalidDigestError naming the input. */
export function parseDigest(input: string): ParsedDigest {
  const colon = input.indexOf(':');
  if (colon <= 0 || colon === input.length - 1) {
    throw new InvalidDigestError(input, 'expected <algorithm>:<hex>');
  }
  const algorithm = input.slice(0, colon);
  const hex = input.slice(colon + 1);
  if (!isDigestAlgorithm(algorithm)) {
    if (!DIGEST_GRAMMAR.test(input)) throw new InvalidDigestError(input, 'expected <algorithm>:<hex>');
    throw new InvalidDigestError(input, `unsupported digest algorithm "${algorithm}" (expected sha256 or sha512)`);
  }
  if (hex.length !== HEX_LENGTH[algorithm]) {
    throw new InvalidDigestError(
      input,
      `${algorithm} needs ${HEX_LENGTH[algorithm]} hex characters, got ${hex.length}`,
    );
  }
  if (!/^[0-9a-f]+$/.test(hex)) {
    throw new InvalidDigestError(input, 'the encoded part must be lowercase hexadecimal');
  }
  return { algorithm, hex };
}

/** Returns the input typed as a Digest after validating it. */
export function validateDigest(input: string): Digest {
  parseDigest(input);
  return input as Digest;
}

export function isDigest(input: string): input is Digest {
  try {
    parseDigest(input);
    return true;
  } catch {
    return false;
  }
}

/** Incremental hasher that also counts bytes (descriptors need both). */
export class Digester {
  readonly algorithm: DigestAlgorithm;
  private readonly hash: Hash;
  private bytes = 0;
  private result: Digest | undefined;

  constructor(algorithm: DigestAlgorithm = 'sha256') {
    this.algorithm = algorithm;
    // node:crypto costs ~5 ms to load: only code that hashes pays it, not every importer of
    // @berth/spec (berth-runtime's start-up, for one).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.hash = (require('node:crypto') as typeof import('node:crypto')).createHash(algorithm);
  }

  update(chunk: Uint8Array | string): this {
    if (this.result !== undefined) throw new Error('Digester.update() after digest()');
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.hash.update(buf);
    this.bytes += buf.byteLength;
    return this;
  }

  /** Number of bytes hashed so far. */
  get size(): number {
    return this.bytes;
  }

  /** Finishes the hash; later calls return the same digest. */
  digest(): Digest {
    this.result ??= `${this.algorithm}:${this.hash.digest('hex')}`;
    return this.result;
  }
}

/** Digest of an in-memory blob. */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return new Digester(algorithm).update(data).digest();
}

/** Digest and size of a stream (a file read stream, an HTTP body...). */
export async function digestStream(
  source: AsyncIterable<Uint8Array | string>,
  algorithm: DigestAlgorithm = 'sha256',
): Promise<{ digest: Digest; size: number }> {
  const d = new Digester(algorithm);
  for await (const chunk of source) d.update(chunk);
  return { digest: d.digest(), size: d.size };
}

/** Throws DigestMismatchError unless `data` hashes to `expected`. */
export function verifyDigest(data: Uint8Array | string, expected: string, what?: string): void {
  const { algorithm } = parseDigest(expected);
  const actual = digestOf(data, algorithm);
  if (actual !== expected) throw new DigestMismatchError(expected, actual, what);
}

export interface VerifierOptions {
  /** Expected size in bytes; the stream fails as soon as it is exceeded. */
  readonly size?: number;
  /** What is being verified, prefixed to error messages (e.g. a blob path). */
  readonly what?: string;
}

/**
 * A pass-through stream that hashes what flows through it and, at the end,
 * fails with DigestMismatchError (or SizeMismatchError) instead of finishing
 * if the content is not what `expected` names. Consumers writing to disk
 * should write to a temp file and rename only after the pipeline resolves.
 */
export class DigestVerifier extends Transform {
  readonly expected: Digest;
  private readonly digester: Digester;
  private readonly options: VerifierOptions;

  constructor(expected: string, options: VerifierOptions = {}) {
    super();
    this.expected = validateDigest(expected);
    this.digester = new Digester(parseDigest(expected).algorithm);
    this.options = options;
  }

  /** Bytes that have passed through so far. */
  get size(): number {
    return this.digester.size;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.digester.update(chunk);
    const { size, what } = this.options;
    if (size !== undefined && this.digester.size > size) {
      callback(new SizeMismatchError(what ?? this.expected, size, this.digester.size, true));
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const { size, what } = this.options;
    if (size !== undefined && this.digester.size !== size) {
      callback(new SizeMismatchError(what ?? this.expected, size, this.digester.size));
      return;
    }
    const actual = this.digester.digest();
    callback(actual === this.expected ? null : new DigestMismatchError(this.expected, actual, what));
  }
}
