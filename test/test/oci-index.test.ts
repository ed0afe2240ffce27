// Multi-platform layouts, and a differential check of @berth/spec's platform
// selection: skopeo (containers/image) must pick the same manifest as
// selectPlatformEntries for each wanted platform. containers/image does not
// fall back from arm64 to 32-bit arm as containerd (and berth) do, so that
// case is not compared.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OciMediaType, digestOf, imageIndex, parsePlatform, selectPlatformEntries } from '@berth/spec';
import { makeOciIndexLayout, type OciIndexLayoutFixture } from '@berth/test';

const execFileP = promisify(execFile);

let tmp: string;
let layout: OciIndexLayoutFixture;
const platforms = ['linux/amd64', 'linux/arm/v5', 'linux/arm/v6', 'linux/386', 'linux/arm64/v8'].map(parsePlatform);

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'berth-index-'));
  layout = await makeOciIndexLayout(join(tmp, 'oci'), { platforms, tag: 'multi' });
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

test('index.json names an image index that lists one manifest per platform', async () => {
  const top = imageIndex.parse(readFileSync(join(layout.dir, 'index.json')));
  expect(top.manifests).toEqual([
    {
      mediaType: OciMediaType.ImageIndex,
      digest: layout.indexDigest,
      size: layout.indexSize,
      annotations: { 'org.opencontainers.image.ref.name': 'multi' },
    },
  ]);
  const nested = readFileSync(join(layout.dir, 'blobs/sha256', layout.indexDigest.slice(7)));
  expect(digestOf(nested)).toBe(layout.indexDigest);
  expect(imageIndex.parse(nested).manifests.map((m) => m.platform)).toEqual(platforms);
  expect(layout.images.map((i) => [i.config.architecture, i.config.variant])).toEqual([
    ['amd64', undefined],
    ['arm', 'v5'],
    ['arm', 'v6'],
    ['386', undefined],
    ['arm64', 'v8'],
  ]);
  // skopeo copies every platform, verifying each blob
  await execFileP('skopeo', ['copy', '--quiet', '--all', `oci:${layout.dir}:multi`, `dir:${join(tmp, 'copy')}`]);
});

test.each([
  ['linux/amd64', 'linux/amd64'],
  ['linux/arm/v6', 'linux/arm/v6'],
  ['linux/arm/v7', 'linux/arm/v6'],
  ['linux/arm/v5', 'linux/arm/v5'],
  ['linux/386', 'linux/386'],
  ['linux/arm64', 'linux/arm64/v8'],
])('wanting %s picks %s, as skopeo does', async (wanted, expected) => {
  const want = parsePlatform(wanted);
  const [best] = selectPlatformEntries(layout.index.manifests, want);
  const chosen = layout.images.find((i) => i.manifestDigest === best?.digest);
  expect(chosen).toBe(layout.images[platforms.findIndex((p) => JSON.stringify(p) === JSON.stringify(parsePlatform(expected)))]);
  const args = ['inspect', '--raw', '--config', '--override-os', want.os, '--override-arch', want.architecture];
  if (want.variant) args.push('--override-variant', want.variant);
  const { stdout } = await execFileP('skopeo', [...args, `oci:${layout.dir}:multi`]);
  expect(digestOf(stdout)).toBe(chosen?.configDigest);
});
