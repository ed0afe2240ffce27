// Differential check of @berth/spec's reference normalisation against skopeo
// (containers/image's copy of distribution/reference): a docker-save tarball
// is tagged with the names berth computes, and skopeo must find each input
// among them, or reject the same inputs berth rejects.
//
// skopeo 1.9 (Debian 12) predates two rules of today's distribution/reference
// that berth follows, so they are not compared here: an uppercase first
// component is a registry host ("Foo/bar"), and IPv6 hosts ("[::1]:5000/x").
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvalidReferenceError, parseDockerRef } from '@berth/spec';
import { makeDockerSaveTarball } from '@berth/test';

const execFileP = promisify(execFile);

const valid = [
  'busybox',
  'busybox:latest',
  'busybox:1.36',
  'docker.io/busybox',
  'index.docker.io/busybox',
  'docker.io/library/busybox:1.36',
  'library/busybox',
  'docker/docker',
  'user/app:v1',
  'index.docker.io/user/app',
  'localhost:5000/a/b',
  'localhost:5000/a/b:v1',
  'localhost/debian',
  'localhost',
  'localhost:5000',
  '192.168.0.1:8/debian',
  '127.0.0.1:5000/library/debian:x',
  'quay.io/x/y:1.0',
  'test_com/foo',
  'xn--n3h.com:18080/foo',
  'dock__er/docker',
  'docker---rules/docker',
  'ghcr.io/org/team/app:1.2.3',
  'busybox:_under.score-dash',
  `busybox:${'t'.repeat(128)}`,
];

const invalid = [
  'BUSYBOX',
  'docker/Docker',
  'https://github.com/docker/docker',
  '-docker',
  'docker///docker',
  'docker/',
  'busybox:',
  'busybox:-foo',
  `busybox:${'t'.repeat(129)}`,
  'a b',
  'foo:bar:baz',
  'dock..er/docker',
  'a'.repeat(238),
  'localhost:abc/foo',
];

let tmp: string;
let archive: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'berth-ref-'));
  archive = join(tmp, 'image.tar');
  const repoTags = [...new Set(valid.map((input) => parseDockerRef(input).familiarString))];
  await makeDockerSaveTarball(archive, { repoTags });
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

async function skopeoInspect(ref: string): Promise<{ ok: true; name: string } | { ok: false; error: string }> {
  try {
    const { stdout } = await execFileP('skopeo', ['inspect', `docker-archive:${archive}:${ref}`]);
    return { ok: true, name: (JSON.parse(stdout) as { Name: string }).Name };
  } catch (err) {
    return { ok: false, error: String((err as { stderr?: string }).stderr ?? err) };
  }
}

test.concurrent.each(valid)('skopeo resolves %j to the image berth tagged as its canonical name', async (input) => {
  const ref = parseDockerRef(input);
  await expect(skopeoInspect(input)).resolves.toEqual({ ok: true, name: ref.name });
});

test.concurrent.each(invalid)('skopeo and berth both reject %j', async (input) => {
  expect(() => parseDockerRef(input)).toThrow(InvalidReferenceError);
  const result = await skopeoInspect(input);
  expect(result.ok).toBe(false);
  expect(result.ok === false && result.error).toMatch(/parsing reference|invalid reference format/);
});

test('a tag berth did not write is not found (the check is not vacuous)', async () => {
  const result = await skopeoInspect('busybox:nope');
  expect(result).toMatchObject({ ok: false, error: expect.stringContaining('not found') });
});
