/**
 * RepoDigests after pulling a multi-platform image (an index), as Docker
 * records them: `name@<index digest>`, the digest the tag resolved to, not
 * the platform manifest's. Against a real docker-registry on loopback.
 */
import { startRegistry, type TestRegistry } from '../../../registry-client/test/helpers/registry';
import { berth, buildCli, rmrf, seedImage, seedIndex, tempDir } from '../helpers';

let registry: TestRegistry;
let root: string;
let indexDigest: string;

beforeAll(async () => {
  buildCli();
  registry = await startRegistry();
  indexDigest = await seedIndex(registry.host, 'multi', [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
  ]);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
});

beforeEach(() => {
  root = tempDir('berth-engine-repodigest-');
});
afterEach(() => rmrf(root));

async function ok(args: string[]): Promise<string> {
  const r = await berth(['--root', root, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function manifestDigest(ref: string): Promise<string> {
  return (await ok(['image', 'inspect', '--format', '{{.Descriptor.digest}}', ref])).trim();
}

describe('RepoDigests of a multi-platform pull', () => {
  it('name@<index digest>: image inspect and images --digests show the index, not the platform manifest', async () => {
    const name = `${registry.host}/multi`;
    const pulled = await ok(['pull', '--platform', 'linux/arm64', `${name}:latest`]);
    expect(pulled).toContain(`Digest: ${indexDigest}\n`);

    const inspect = JSON.parse(await ok(['image', 'inspect', `${name}:latest`])) as { RepoDigests: string[]; Architecture: string }[];
    expect(inspect).toHaveLength(1);
    expect(inspect[0].Architecture).toBe('arm64');
    expect(inspect[0].RepoDigests).toEqual([`${name}@${indexDigest}`]);
    expect(await manifestDigest(`${name}:latest`)).not.toBe(indexDigest);

    const rows = await ok(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}']);
    expect(rows).toBe(`${name} latest ${indexDigest}\n`);
    const table = (await ok(['images', '--digests'])).split('\n');
    expect(table[0]).toMatch(/^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$/);
    expect(table[1]).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')} +latest +${indexDigest} +[0-9a-f]{12} `));

    // Pulling again is a no-op that keeps one repo digest.
    const again = await ok(['pull', '--platform', 'linux/arm64', `${name}:latest`]);
    expect(again).toContain('Status: Image is up to date');
    const after = JSON.parse(await ok(['image', 'inspect', `${name}:latest`])) as { RepoDigests: string[] }[];
    expect(after[0].RepoDigests).toEqual([`${name}@${indexDigest}`]);
  }, 60_000);

  it('every platform pulled from the index carries the index digest; a plain image keeps its manifest digest', async () => {
    const name = `${registry.host}/multi`;
    await ok(['pull', '-q', '--platform', 'linux/arm64', `${name}:latest`]);
    const arm = await manifestDigest(`${name}:latest`);
    await ok(['pull', '-q', '--platform', 'linux/amd64', `${name}:latest`]);
    const amd = await manifestDigest(`${name}:latest`);
    expect(amd).not.toBe(arm);
    // The tag moved to amd64; the arm64 image is dangling but still named by the index digest.
    const rows = (await ok(['images', '--digests', '--format', '{{.Tag}} {{.Digest}} {{.ID}}'])).trim().split('\n').sort();
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.split(' ').slice(0, 2).join(' '))).toEqual([`<none> ${indexDigest}`, `latest ${indexDigest}`]);

    // Not the fixture the index holds, so it is an image of its own.
    await seedImage(registry.host, 'single', 'latest', { extraLayers: [{ 'etc/single': '1\n' }] });
    await ok(['pull', '-q', `${registry.host}/single`]);
    const single = `${registry.host}/single:latest`;
    const repoDigests = JSON.parse(await ok(['image', 'inspect', '--format', '{{json .RepoDigests}}', single])) as string[];
    expect(repoDigests).toEqual([`${registry.host}/single@${await manifestDigest(single)}`]);
  }, 60_000);

  it('a pull by the index digest records it as the repo digest of the untagged image', async () => {
    const name = `${registry.host}/multi`;
    const pulled = await ok(['pull', '--platform', 'linux/amd64', `${name}@${indexDigest}`]);
    expect(pulled).toContain(`Digest: ${indexDigest}\n`);
    const rows = await ok(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}']);
    expect(rows).toBe(`${name} <none> ${indexDigest}\n`);
  }, 60_000);
});
