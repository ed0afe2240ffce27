// @berth/spec's hand-written Docker types, checked against documents skopeo
// (containers/image) writes: schema 2 manifests and manifest lists converted
// from the fixtures, and its own docker-archive's manifest.json and repositories.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DockerMediaType,
  decodeDockerManifest,
  decodeDockerManifestList,
  decodeDockerRepositories,
  decodeDockerSaveManifest,
  digestOf,
  parsePlatform,
  toOciMediaType,
} from '@berth/spec';
import { makeOciIndexLayout, makeOciLayout } from '@berth/test';

const execFileP = promisify(execFile);
const skopeo = (...args: string[]) => execFileP('skopeo', args, { encoding: 'utf8' });

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'berth-dockertypes-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

test('a schema 2 manifest converted by skopeo decodes, and maps back to the OCI one', async () => {
  const image = await makeOciLayout(join(tmp, 'oci'));
  await skopeo('copy', '--quiet', '--format', 'v2s2', `oci:${image.dir}:latest`, `dir:${join(tmp, 'v2s2')}`);
  const manifest = decodeDockerManifest(readFileSync(join(tmp, 'v2s2/manifest.json')));
  expect(manifest.config.digest).toBe(image.configDigest);
  expect(manifest.config.mediaType).toBe(DockerMediaType.Config);
  expect(manifest.layers.map((l) => [toOciMediaType(l.mediaType), l.digest, l.size])).toEqual(
    image.layers.map((l) => [l.mediaType, l.digest, l.size]),
  );
});

test('a manifest list converted by skopeo decodes with its platforms', async () => {
  const platforms = ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'].map(parsePlatform);
  const layout = await makeOciIndexLayout(join(tmp, 'oci-index'), { platforms });
  await skopeo('copy', '--quiet', '--all', '--format', 'v2s2', `oci:${layout.dir}:latest`, `dir:${join(tmp, 'list')}`);
  const list = decodeDockerManifestList(readFileSync(join(tmp, 'list/manifest.json')));
  expect(list.manifests.map((m) => m.platform)).toEqual(platforms);
  for (const entry of list.manifests) {
    expect(entry.mediaType).toBe(DockerMediaType.Manifest);
    const bytes = readFileSync(join(tmp, 'list', `${entry.digest.slice(7)}.manifest.json`));
    expect(digestOf(bytes)).toBe(entry.digest);
    expect(decodeDockerManifest(bytes).layers).toHaveLength(1);
  }
});

test("skopeo's own docker-archive decodes as a docker save tarball", async () => {
  const image = await makeOciLayout(join(tmp, 'oci-2'));
  const archive = join(tmp, 'skopeo.tar');
  await skopeo('copy', '--quiet', `oci:${image.dir}:latest`, `docker-archive:${archive}:localhost:5000/x/y:v1`);
  const read = async (name: string) => (await execFileP('tar', ['-xOf', archive, name], { encoding: 'utf8' })).stdout;
  const manifest = decodeDockerSaveManifest(await read('manifest.json'));
  expect(manifest).toHaveLength(1);
  expect(manifest[0]?.RepoTags).toEqual(['localhost:5000/x/y:v1']);
  expect(manifest[0]?.Config).toBe(`${image.configDigest.slice(7)}.json`);
  const repositories = decodeDockerRepositories(await read('repositories'));
  expect(Object.keys(repositories)).toEqual(['localhost:5000/x/y']);
  expect(Object.keys(repositories['localhost:5000/x/y'] ?? {})).toEqual(['v1']);
});
