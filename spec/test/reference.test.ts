import {
  BerthError,
  ImageReference,
  InvalidReferenceError,
  parseDockerRef,
  parseReference,
  parseRepositoryName,
} from '@berth/spec';

const H = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
const H512 = 'ab'.repeat(64);

interface Valid {
  input: string;
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
  /** Canonical string; defaults to domain/path[:tag][@digest]. */
  canonical?: string;
  familiar?: string;
}

// Expected behaviour follows distribution/reference's ParseNormalizedNamed tests.
const valid: Valid[] = [
  { input: 'busybox', domain: 'docker.io', path: 'library/busybox', familiar: 'busybox' },
  { input: 'busybox:latest', domain: 'docker.io', path: 'library/busybox', tag: 'latest', familiar: 'busybox:latest' },
  { input: 'docker.io/busybox', domain: 'docker.io', path: 'library/busybox', familiar: 'busybox' },
  { input: 'index.docker.io/busybox', domain: 'docker.io', path: 'library/busybox', familiar: 'busybox' },
  { input: 'docker.io/library/busybox', domain: 'docker.io', path: 'library/busybox', familiar: 'busybox' },
  { input: 'index.docker.io/library/busybox:1.36', domain: 'docker.io', path: 'library/busybox', tag: '1.36' },
  { input: 'library/busybox', domain: 'docker.io', path: 'library/busybox', familiar: 'busybox' },
  { input: 'docker/docker', domain: 'docker.io', path: 'docker/docker', familiar: 'docker/docker' },
  { input: 'index.docker.io/docker/docker', domain: 'docker.io', path: 'docker/docker', familiar: 'docker/docker' },
  { input: 'library/foo/bar', domain: 'docker.io', path: 'library/foo/bar', familiar: 'library/foo/bar' },
  { input: 'store/foo/bar', domain: 'docker.io', path: 'store/foo/bar', familiar: 'store/foo/bar' },
  { input: 'other/library', domain: 'docker.io', path: 'other/library', familiar: 'other/library' },
  { input: 'localhost:5000/a/b', domain: 'localhost:5000', path: 'a/b', familiar: 'localhost:5000/a/b' },
  { input: 'localhost:5000/a/b:v1', domain: 'localhost:5000', path: 'a/b', tag: 'v1' },
  { input: 'localhost/debian', domain: 'localhost', path: 'debian', familiar: 'localhost/debian' },
  { input: 'localhost', domain: 'docker.io', path: 'library/localhost', familiar: 'localhost' },
  // a lone host:port is a Docker Hub name with a tag (Docker reads it the same way)
  { input: 'localhost:5000', domain: 'docker.io', path: 'library/localhost', tag: '5000' },
  { input: '192.168.0.1', domain: 'docker.io', path: 'library/192.168.0.1' },
  { input: '192.168.0.1:80', domain: 'docker.io', path: 'library/192.168.0.1', tag: '80' },
  { input: '192.168.0.1:8/debian', domain: '192.168.0.1:8', path: 'debian' },
  { input: '127.0.0.1:5000/library/debian', domain: '127.0.0.1:5000', path: 'library/debian' },
  { input: '[fc00::1]:5000/docker', domain: '[fc00::1]:5000', path: 'docker' },
  { input: '[fc00:1:2:3:4:5:6:7]:5000/library/debian', domain: '[fc00:1:2:3:4:5:6:7]:5000', path: 'library/debian' },
  { input: `quay.io/x/y@sha256:${H}`, domain: 'quay.io', path: 'x/y', digest: `sha256:${H}` },
  { input: `quay.io/x/y@sha512:${H512}`, domain: 'quay.io', path: 'x/y', digest: `sha512:${H512}` },
  {
    input: `busybox:latest@sha256:${H}`,
    domain: 'docker.io',
    path: 'library/busybox',
    tag: 'latest',
    digest: `sha256:${H}`,
    familiar: `busybox:latest@sha256:${H}`,
  },
  { input: `busybox@sha256:${H}`, domain: 'docker.io', path: 'library/busybox', digest: `sha256:${H}` },
  { input: 'test.com/foo', domain: 'test.com', path: 'foo' },
  { input: 'test_com/foo', domain: 'docker.io', path: 'test_com/foo' },
  { input: 'test.com:8080/foo', domain: 'test.com:8080', path: 'foo' },
  { input: 'test-com:8080/foo', domain: 'test-com:8080', path: 'foo' },
  { input: 'xn--n3h.com:18080/foo', domain: 'xn--n3h.com:18080', path: 'foo' },
  // an uppercase first component cannot be a repository, so it is a host
  { input: 'Foo/bar', domain: 'Foo', path: 'bar', familiar: 'Foo/bar' },
  { input: 'DOCKER/docker', domain: 'DOCKER', path: 'docker' },
  { input: `docker.io/${H}`, domain: 'docker.io', path: `library/${H}` },
  { input: 'dbcc1', domain: 'docker.io', path: 'library/dbcc1' },
  { input: 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', domain: 'docker.io', path: 'library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev' },
  { input: 'docker-rules/docker', domain: 'docker.io', path: 'docker-rules/docker' },
  { input: 'docker---rules/docker', domain: 'docker.io', path: 'docker---rules/docker' },
  { input: 'dock__er/docker', domain: 'docker.io', path: 'dock__er/docker' },
  { input: 'd/docker', domain: 'docker.io', path: 'd/docker' },
  { input: 'jess/t', domain: 'docker.io', path: 'jess/t' },
  { input: 'a__b-c/d-e_f.g', domain: 'docker.io', path: 'a__b-c/d-e_f.g' },
  { input: 'ubuntu-12.04-base', domain: 'docker.io', path: 'library/ubuntu-12.04-base' },
  { input: 'busybox:LATEST', domain: 'docker.io', path: 'library/busybox', tag: 'LATEST' },
  { input: 'busybox:_under.score-dash', domain: 'docker.io', path: 'library/busybox', tag: '_under.score-dash' },
  { input: `busybox:${'t'.repeat(128)}`, domain: 'docker.io', path: 'library/busybox', tag: 't'.repeat(128) },
  { input: 'ghcr.io/org/team/app:1.2.3', domain: 'ghcr.io', path: 'org/team/app', tag: '1.2.3', familiar: 'ghcr.io/org/team/app:1.2.3' },
  // 255 characters in all, domain included
  { input: `example.com/${'a'.repeat(243)}`, domain: 'example.com', path: 'a'.repeat(243) },
];

interface Invalid {
  input: string;
  message: string;
}

const invalid: Invalid[] = [
  { input: '', message: 'invalid reference "": repository name must not be empty' },
  { input: 'BUSYBOX', message: 'invalid reference "BUSYBOX": repository name "library/BUSYBOX" must be lowercase' },
  { input: 'docker/Docker', message: 'repository name "docker/Docker" must be lowercase' },
  { input: 'docker.io/docker/Docker', message: 'repository name "docker/Docker" must be lowercase' },
  { input: 'quay.io/X/y:tag', message: 'repository name "X/y" must be lowercase' },
  { input: 'https://github.com/docker/docker', message: 'invalid reference "https://github.com/docker/docker": invalid registry host "https:"' },
  { input: 'localhost:abc/foo', message: 'invalid registry host "localhost:abc"' },
  { input: 'fc00::1:5000/debian', message: 'invalid registry host "fc00::1:5000"' },
  { input: '[fe80::1%eth0]:5000/debian', message: 'invalid registry host "[fe80::1%eth0]:5000"' },
  { input: '[2001:db8:3:4::192.0.2.33]:5000/debian', message: 'invalid registry host "[2001:db8:3:4::192.0.2.33]:5000"' },
  { input: '-docker.io/docker/docker', message: 'invalid registry host "-docker.io"' },
  // a "." makes the first component a host, where "_" is not allowed
  { input: 'a.b_c-d/e', message: 'invalid registry host "a.b_c-d"' },
  { input: 'foo_bar:5000/x', message: 'invalid registry host "foo_bar:5000"' },
  { input: '[fc00::1]', message: 'invalid tag "1]"' },
  { input: '[fc00::1]:5000', message: 'invalid repository path component "[fc00::1]"' },
  { input: '-docker', message: 'invalid reference "-docker": invalid repository path component "-docker"' },
  { input: '-docker/docker', message: 'invalid repository path component "-docker"' },
  { input: 'docker-/docker', message: 'invalid repository path component "docker-"' },
  { input: '____/____', message: 'invalid repository path component "____"' },
  { input: '_docker/_docker', message: 'invalid repository path component "_docker"' },
  { input: 'dock..er/docker', message: 'invalid registry host "dock..er"' },
  { input: 'dock_.er/docker', message: 'invalid registry host "dock_.er"' },
  { input: 'dock-.er/docker', message: 'invalid registry host "dock-.er"' },
  { input: 'dock___er/docker', message: 'invalid repository path component "dock___er"' },
  { input: 'docker///docker', message: 'repository name "docker///docker" has an empty path component' },
  { input: 'docker/', message: 'repository name "docker/" has an empty path component' },
  { input: 'docker.io/', message: 'repository name "library/" has an empty path component' },
  { input: 'a b', message: 'invalid repository path component "a b"' },
  { input: 'foo:bar:baz', message: 'invalid repository path component "foo:bar"' },
  { input: H, message: `invalid reference "${H}": a 64-character hexadecimal string is an image ID, not a repository name` },
  {
    input: `${'a'.repeat(238)}`,
    message: 'repository name must not be more than 255 characters (docker.io/library/' + 'a'.repeat(238) + ' is 256)',
  },
  { input: `example.com/${'a'.repeat(244)}`, message: 'repository name must not be more than 255 characters' },
  { input: 'busybox:', message: 'invalid reference "busybox:": invalid tag "": a tag is letters, digits, "_", "." and "-", not starting with "." or "-"' },
  { input: 'busybox:-foo', message: 'invalid tag "-foo"' },
  { input: 'busybox:.foo', message: 'invalid tag ".foo"' },
  { input: 'busybox:a+b', message: 'invalid tag "a+b"' },
  { input: 'busybox:tag/x', message: 'invalid registry host "busybox:tag"' },
  { input: `busybox:${'t'.repeat(129)}`, message: 'tag is 129 characters long; at most 128 are allowed' },
  { input: 'busybox@', message: 'invalid reference "busybox@": invalid digest "": expected <algorithm>:<hex>' },
  { input: 'busybox@sha256', message: 'invalid digest "sha256": expected <algorithm>:<hex>' },
  { input: 'busybox@sha256:abc', message: 'invalid digest "sha256:abc": sha256 needs 64 hex characters, got 3' },
  { input: `busybox@sha256:${H}00`, message: 'sha256 needs 64 hex characters, got 66' },
  { input: `busybox@sha512:${H}`, message: 'sha512 needs 128 hex characters, got 64' },
  { input: `busybox@md5:${'0'.repeat(32)}`, message: 'unsupported digest algorithm "md5" (expected sha256 or sha512)' },
  { input: `busybox@sha384:${'0'.repeat(96)}`, message: 'unsupported digest algorithm "sha384"' },
  { input: `busybox@sha256:${H.toUpperCase()}`, message: 'the encoded part must be lowercase hexadecimal' },
  { input: `busybox@sha256:${'g'.repeat(64)}`, message: 'the encoded part must be lowercase hexadecimal' },
  { input: `busybox@sha256:${H}@sha256:${H}`, message: 'sha256 needs 64 hex characters, got 136' },
  { input: 'busybox@latest', message: 'invalid digest "latest": expected <algorithm>:<hex>' },
];

describe('parseReference: valid references', () => {
  test.each(valid)('$input', (c) => {
    const ref = parseReference(c.input);
    expect(ref).toBeInstanceOf(ImageReference);
    expect(ref.domain).toBe(c.domain);
    expect(ref.path).toBe(c.path);
    expect(ref.tag).toBe(c.tag);
    expect(ref.digest).toBe(c.digest);
    const canonical =
      c.canonical ??
      `${c.domain}/${c.path}${c.tag !== undefined ? `:${c.tag}` : ''}${c.digest !== undefined ? `@${c.digest}` : ''}`;
    expect(ref.toString()).toBe(canonical);
    if (c.familiar !== undefined) expect(ref.familiarString).toBe(c.familiar);
    // the canonical form parses back to itself
    expect(parseReference(ref.toString()).toString()).toBe(canonical);
    // (except a Docker Hub name of 64 hex digits, whose short form reads as an image ID)
    if (!/^[a-f0-9]{64}$/.test(ref.familiarName)) {
      expect(parseReference(ref.familiarString).toString()).toBe(canonical);
    }
  });
});

describe('parseReference: invalid references', () => {
  test.each(invalid)('$input', ({ input, message }) => {
    let caught: unknown;
    try {
      parseReference(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidReferenceError);
    expect(caught).toBeInstanceOf(BerthError);
    const err = caught as InvalidReferenceError;
    expect(err.code).toBe('ERR_BERTH_INVALID_REFERENCE');
    expect(err.input).toBe(input);
    expect(err.message).toContain(message);
    expect(err.message.startsWith(`invalid reference ${JSON.stringify(input)}: `)).toBe(true);
  });
});

test('there are at least 60 table cases', () => {
  expect(valid.length + invalid.length).toBeGreaterThanOrEqual(60);
});

describe('parseDockerRef (what `docker pull` resolves)', () => {
  test.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['localhost:5000/a/b', 'localhost:5000/a/b:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    [`quay.io/x/y@sha256:${H}`, `quay.io/x/y@sha256:${H}`],
    // with both, the digest pins the content and the tag is dropped
    [`busybox:1.36@sha256:${H}`, `docker.io/library/busybox@sha256:${H}`],
  ])('%s -> %s', (input, expected) => {
    expect(parseDockerRef(input).toString()).toBe(expected);
  });
});

describe('ImageReference', () => {
  test('familiar names strip docker.io and library/ only for Docker Hub', () => {
    expect(parseReference('docker.io/library/redis').familiarName).toBe('redis');
    expect(parseReference('docker.io/dmcgowan/myapp').familiarName).toBe('dmcgowan/myapp');
    expect(parseReference('docker.io/library/foo/bar').familiarName).toBe('library/foo/bar');
    expect(parseReference('example.com/library/foo').familiarName).toBe('example.com/library/foo');
  });

  test('withTag and withDigest validate and return copies', () => {
    const ref = parseReference('busybox');
    expect(ref.withTag('v2').toString()).toBe('docker.io/library/busybox:v2');
    expect(ref.tag).toBeUndefined();
    expect(ref.withDigest(`sha256:${H}`).familiarString).toBe(`busybox@sha256:${H}`);
    expect(() => ref.withTag('-x')).toThrow('invalid reference "docker.io/library/busybox": invalid tag "-x"');
    expect(() => ref.withDigest('sha256:00')).toThrow('sha256 needs 64 hex characters, got 2');
    expect(parseReference(`a/b:c@sha256:${H}`).withoutTagOrDigest().toString()).toBe('docker.io/a/b');
  });

  test('the constructor validates parts and does not normalise them', () => {
    expect(new ImageReference({ domain: 'localhost:5000', path: 'a/b', tag: 'v1' }).toString()).toBe('localhost:5000/a/b:v1');
    expect(new ImageReference({ domain: 'docker.io', path: 'busybox' }).name).toBe('docker.io/busybox');
    expect(() => new ImageReference({ domain: 'docker.io', path: 'Busybox' })).toThrow(
      'invalid reference "docker.io/Busybox": repository name "Busybox" must be lowercase',
    );
    expect(() => new ImageReference({ domain: 'a_b', path: 'x' })).toThrow('invalid registry host "a_b"');
    expect(() => new ImageReference({ domain: 'docker.io', path: 'x', tag: '' })).toThrow('invalid tag ""');
    expect(() => new ImageReference({ domain: 'docker.io', path: 'x', digest: 'sha256:1' as `sha256:${string}` })).toThrow(
      'sha256 needs 64 hex characters, got 1',
    );
  });

  test('serialises to its canonical string in JSON', () => {
    expect(JSON.stringify({ image: parseReference('busybox:1') })).toBe('{"image":"docker.io/library/busybox:1"}');
  });

  test('parseRepositoryName rejects tags and digests', () => {
    expect(parseRepositoryName('localhost:5000/app').name).toBe('localhost:5000/app');
    expect(() => parseRepositoryName('app:1')).toThrow(
      'invalid reference "app:1": expected a repository name without tag or digest',
    );
  });
});
