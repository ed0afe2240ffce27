import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DigestMismatchError,
  DigestVerifier,
  Digester,
  InvalidDigestError,
  SizeMismatchError,
  digestOf,
  digestStream,
  isDigest,
  parseDigest,
  validateDigest,
  verifyDigest,
} from '@berth/spec';

const EMPTY_SHA256 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const HELLO = Buffer.from('hello\n');
const HELLO_SHA256 = `sha256:${createHash('sha256').update(HELLO).digest('hex')}`;

function sink(): { stream: Writable; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  return {
    chunks,
    stream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
  };
}

describe('parseDigest', () => {
  test('accepts sha256 and sha512', () => {
    expect(parseDigest(EMPTY_SHA256)).toEqual({
      algorithm: 'sha256',
      hex: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    expect(parseDigest(`sha512:${'0'.repeat(128)}`).algorithm).toBe('sha512');
    expect(isDigest(EMPTY_SHA256)).toBe(true);
    expect(validateDigest(EMPTY_SHA256)).toBe(EMPTY_SHA256);
  });

  test.each([
    ['', 'invalid digest "": expected <algorithm>:<hex>'],
    ['sha256', 'invalid digest "sha256": expected <algorithm>:<hex>'],
    [':abc', 'invalid digest ":abc": expected <algorithm>:<hex>'],
    ['sha256:', 'invalid digest "sha256:": expected <algorithm>:<hex>'],
    ['sha256:abc', 'invalid digest "sha256:abc": sha256 needs 64 hex characters, got 3'],
    [`sha512:${'0'.repeat(64)}`, 'sha512 needs 128 hex characters, got 64'],
    [`sha256:${'A'.repeat(64)}`, 'the encoded part must be lowercase hexadecimal'],
    [`md5:${'0'.repeat(32)}`, 'unsupported digest algorithm "md5" (expected sha256 or sha512)'],
    [`SHA256:${'0'.repeat(64)}`, 'invalid digest "SHA256:' + '0'.repeat(64) + '": expected <algorithm>:<hex>'],
  ])('rejects %j', (input, message) => {
    expect(() => parseDigest(input)).toThrow(message);
    expect(() => parseDigest(input)).toThrow(InvalidDigestError);
    expect(isDigest(input)).toBe(false);
    try {
      parseDigest(input);
    } catch (err) {
      expect((err as InvalidDigestError).code).toBe('ERR_BERTH_INVALID_DIGEST');
    }
  });
});

describe('hashing', () => {
  test('digestOf and Digester agree with node:crypto, in one piece or many', () => {
    expect(digestOf('')).toBe(EMPTY_SHA256);
    expect(digestOf(HELLO)).toBe(HELLO_SHA256);
    const d = new Digester();
    d.update('hel').update(Buffer.from('lo\n'));
    expect(d.size).toBe(6);
    expect(d.digest()).toBe(HELLO_SHA256);
    expect(d.digest()).toBe(HELLO_SHA256);
    expect(() => d.update('x')).toThrow('after digest()');
    expect(digestOf(HELLO, 'sha512')).toBe(`sha512:${createHash('sha512').update(HELLO).digest('hex')}`);
  });

  test('digestStream returns digest and size', async () => {
    const big = Buffer.alloc(1 << 20, 7);
    const result = await digestStream(Readable.from([big, big]));
    expect(result).toEqual({ digest: `sha256:${createHash('sha256').update(big).update(big).digest('hex')}`, size: 2 << 20 });
  });

  test('verifyDigest names expected and actual', () => {
    expect(() => verifyDigest(HELLO, HELLO_SHA256)).not.toThrow();
    expect(() => verifyDigest('nope', HELLO_SHA256, 'blobs/sha256/x')).toThrow(
      `blobs/sha256/x: digest mismatch: expected ${HELLO_SHA256}, got ${digestOf('nope')}`,
    );
  });
});

describe('DigestVerifier', () => {
  test('passes matching content through unchanged', async () => {
    const out = sink();
    const verifier = new DigestVerifier(HELLO_SHA256, { size: HELLO.length });
    await pipeline(Readable.from([HELLO.subarray(0, 2), HELLO.subarray(2)]), verifier, out.stream);
    expect(Buffer.concat(out.chunks)).toEqual(HELLO);
    expect(verifier.size).toBe(HELLO.length);
  });

  test('fails the pipeline with DigestMismatchError naming both digests', async () => {
    const out = sink();
    const err: unknown = await pipeline(Readable.from([Buffer.from('hellO\n')]), new DigestVerifier(HELLO_SHA256), out.stream).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DigestMismatchError);
    const mismatch = err as DigestMismatchError;
    expect(mismatch.code).toBe('ERR_BERTH_DIGEST_MISMATCH');
    expect(mismatch.expected).toBe(HELLO_SHA256);
    expect(mismatch.actual).toBe(digestOf('hellO\n'));
    expect(mismatch.message).toBe(`digest mismatch: expected ${HELLO_SHA256}, got ${digestOf('hellO\n')}`);
  });

  test('fails as soon as the content exceeds the expected size', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        pulled++;
        yield Buffer.alloc(1024);
      }
    }
    const err: unknown = await pipeline(Readable.from(endless()), new DigestVerifier(HELLO_SHA256, { size: 4096, what: 'layer' }), sink().stream).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SizeMismatchError);
    expect((err as SizeMismatchError).message).toBe('size mismatch for layer: expected 4096 bytes, got at least 5120');
    expect(pulled).toBeLessThan(64);
  });

  test('fails on short content', async () => {
    const err: unknown = await pipeline(Readable.from([HELLO]), new DigestVerifier(HELLO_SHA256, { size: 7 }), sink().stream).catch(
      (e: unknown) => e,
    );
    expect((err as SizeMismatchError).message).toBe(`size mismatch for ${HELLO_SHA256}: expected 7 bytes, got 6`);
  });

  test('rejects a malformed expected digest up front', () => {
    expect(() => new DigestVerifier('sha256:123')).toThrow(InvalidDigestError);
  });
});
