import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startRegistry, type TestRegistry } from '../../../registry-client/test/helpers/registry';
import { startFaultProxy } from '../../../registry-client/test/helpers/fault-proxy';
import { execFileSync } from 'node:child_process';
import { BIN, berth, buildCli, rmrf, seedImage, seedIndex, tempDir } from '../helpers';

let registry: TestRegistry;
let root: string;
let indexDigest: string;

beforeAll(async () => {
  buildCli();
  registry = await startRegistry();
  await seedImage(registry.host, 'busybox');
  await seedImage(registry.host, 'library/busybox', '1.36');
  indexDigest = await seedIndex(registry.host, 'multi', [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
  ]);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
});

beforeEach(() => {
  root = tempDir('berth-engine-root-');
});
afterEach(() => rmrf(root));

describe('berth pull', () => {
  it("prints Docker's plain lines when stdout is not a terminal, and stores blobs, snapshots and the index entry", async () => {
    const ref = `${registry.host}/busybox`;
    const r = await berth(['--root', root, 'pull', ref]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual(['Using default tag: latest', 'latest: Pulling from busybox']);
    const layer = lines[2].slice(0, 12);
    expect(layer).toMatch(/^[0-9a-f]{12}$/);
    expect(lines.slice(2, 6)).toEqual([
      `${layer}: Pulling fs layer`,
      `${layer}: Verifying Checksum`,
      `${layer}: Download complete`,
      `${layer}: Pull complete`,
    ]);
    expect(lines[6]).toMatch(/^Digest: sha256:[0-9a-f]{64}$/);
    expect(lines.slice(7)).toEqual([`Status: Downloaded newer image for ${ref}:latest`, `${ref}:latest`]);

    const index = JSON.parse(readFileSync(path.join(root, 'images.json'), 'utf8')) as { tags: Record<string, string> };
    const digest = lines[6].slice('Digest: '.length);
    expect(index.tags[`${ref}:latest`]).toBe(digest);
    expect(existsSync(path.join(root, 'blobs/sha256', digest.slice(7)))).toBe(true);
    const snapshots = readdirSync(path.join(root, 'snapshots')).filter((n) => !n.startsWith('.'));
    expect(snapshots).toHaveLength(1);
    expect(existsSync(path.join(root, 'snapshots', snapshots[0], 'fs/bin/busybox'))).toBe(true);

    // Again: nothing to fetch, no layer lines, as docker says it.
    const again = await berth(['--root', root, 'pull', `${ref}:latest`]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      ['latest: Pulling from busybox', lines[6], `Status: Image is up to date for ${ref}:latest`, `${ref}:latest`, ''].join('\n'),
    );
  });

  it('-q prints only the reference; BERTH_ROOT chooses the root and BERTH_REGISTRY_MIRRORS serves docker.io', async () => {
    const r = await berth(['pull', '-q', 'busybox:1.36'], {
      env: { BERTH_ROOT: root, BERTH_REGISTRY_MIRRORS: `http://${registry.host}` },
    });
    expect(r).toEqual({ code: 0, stdout: 'docker.io/library/busybox:1.36\n', stderr: '' });
    const index = JSON.parse(readFileSync(path.join(root, 'images.json'), 'utf8')) as { tags: Record<string, string> };
    expect(Object.keys(index.tags)).toEqual(['docker.io/library/busybox:1.36']);
  });

  it('by digest: the digest names the image (a repo digest, no tag), as docker pull NAME@DIGEST', async () => {
    const first = await berth(['--root', root, 'pull', `${registry.host}/busybox`]);
    const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(first.stdout)?.[1] as string;
    const other = tempDir('berth-engine-root2-');
    try {
      const ref = `${registry.host}/busybox@${digest}`;
      const r = await berth(['--root', other, 'pull', ref]);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe(`${digest}: Pulling from busybox`);
      expect(r.stdout).toContain(`Status: Downloaded newer image for ${ref}\n`);
      const rows = await berth(['--root', other, 'images', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}']);
      expect(rows.stdout).toBe(`${registry.host}/busybox <none> ${digest}\n`);
    } finally {
      rmrf(other);
    }
  });

  it("mirrors from berth's settings file (BERTH_CONFIG, daemon.json's registry-mirrors)", async () => {
    const config = path.join(root, 'berth-config.json');
    writeFileSync(config, JSON.stringify({ 'registry-mirrors': [`http://${registry.host}`] }));
    const r = await berth(['--root', root, 'pull', '-q', 'busybox:1.36'], { env: { BERTH_CONFIG: config } });
    expect(r).toEqual({ code: 0, stdout: 'docker.io/library/busybox:1.36\n', stderr: '' });
  });

  it('fails with exit 1 and one Error line for a missing image, 125 for bad usage', async () => {
    const missing = await berth(['--root', root, 'pull', `${registry.host}/nothing:here`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Error: .*nothing/);
    expect(missing.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(root, 'images.json'))).toBe(false);

    expect((await berth(['--root', root, 'pull'])).code).toBe(125);
    expect((await berth(['--root', root, 'pull', '--bogus', 'x'])).code).toBe(125);
    expect((await berth(['--root'])).code).toBe(125);
  });

  it('image pull and --platform=P (the hot path without clipanion) pull as pull does', async () => {
    const ref = `${registry.host}/multi:latest`;
    const r = await berth(['--root', root, 'image', 'pull', `--platform=linux/arm64`, '-q', ref]);
    expect(r).toEqual({ code: 0, stdout: `${ref}\n`, stderr: '' });
    const arch = await berth(['--root', root, 'image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', ref]);
    expect(arch.stdout).toBe('linux/arm64\n');
  });

  it('--platform picks the image from an index; the Digest line names the index', async () => {
    const ref = `${registry.host}/multi:latest`;
    const r = await berth(['--root', root, 'pull', '--platform', 'linux/arm64', ref]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Digest: ${indexDigest}\n`);
    const arch = await berth(['--root', root, 'image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', ref]);
    expect(arch.stdout).toBe('linux/arm64\n');
    const none = await berth(['--root', root, 'pull', '--platform', 'linux/s390x', ref]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^Error: .*s390x/);
  });

  it('two concurrent pulls of the same image both succeed and store one copy', async () => {
    const ref = `${registry.host}/busybox:latest`;
    const [a, b] = await Promise.all([berth(['--root', root, 'pull', '-q', ref]), berth(['--root', root, 'pull', '-q', ref])]);
    expect(a).toEqual({ code: 0, stdout: `${ref}\n`, stderr: '' });
    expect(b).toEqual({ code: 0, stdout: `${ref}\n`, stderr: '' });
    expect(readdirSync(path.join(root, 'blobs/sha256')).filter((n) => !n.startsWith('.'))).toHaveLength(3);
    expect(readdirSync(path.join(root, 'snapshots')).filter((n) => !n.startsWith('.'))).toHaveLength(1);
    expect((await berth(['--root', root, 'images', '-q'])).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('a tag that moved leaves the old image dangling (<none>), as in Docker', async () => {
    const ref = `${registry.host}/moving:1`;
    await seedImage(registry.host, 'moving', '1');
    expect((await berth(['--root', root, 'pull', '-q', ref])).code).toBe(0);
    await seedImage(registry.host, 'moving', '1', { extraLayers: [{ 'etc/v2': '2\n' }] });
    const r = await berth(['--root', root, 'pull', ref]);
    expect(r.stdout).toContain('Already exists\n');
    expect(r.stdout).toContain('Pull complete\n');
    expect(r.stdout).toContain(`Status: Downloaded newer image for ${ref}\n`);
    const rows = (await berth(['--root', root, 'images', '--format', '{{.Repository}} {{.Tag}}'])).stdout.trim().split('\n').sort();
    expect(rows).toEqual([`${registry.host}/moving 1`, `${registry.host}/moving <none>`]);
    const dangling = await berth(['--root', root, 'images', '-f', 'dangling=true', '--format', '{{.Repository}} {{.Tag}}']);
    expect(dangling.stdout).toBe(`${registry.host}/moving <none>\n`);
    expect((await berth(['--root', root, 'images', '--filter', 'nope=1'])).code).toBe(125);
  });

  it('refuses corrupted blob bytes (verified once, by the store) and records nothing', async () => {
    const proxy = await startFaultProxy(registry.host);
    try {
      proxy.rules.push({ method: 'GET', path: /\/blobs\/sha256:/, fault: { kind: 'corrupt' }, times: 1000 });
      const r = await berth(['--root', root, 'pull', `${proxy.host}/busybox`]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/sha256:[0-9a-f]{64}/);
      expect(r.stderr).toMatch(/digest/i);
      const tags = existsSync(path.join(root, 'images.json')) ? (JSON.parse(readFileSync(path.join(root, 'images.json'), 'utf8')) as { tags: object }).tags : {};
      expect(tags).toEqual({});
      const snapshots = existsSync(path.join(root, 'snapshots')) ? readdirSync(path.join(root, 'snapshots')).filter((n) => !n.startsWith('.')) : [];
      expect(snapshots).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  it('draws progress lines in place on a terminal', () => {
    // `script` gives the command a pseudo-terminal as stdout, as a person's shell would.
    const cmd = `"${process.execPath}" "${BIN}" --root "${root}" pull ${registry.host}/busybox`;
    const out = execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(out).toContain('\x1b[1A\x1b[2K\r');
    expect(out).toMatch(/[0-9a-f]{12}: Pull complete\r?\n/);
    expect(out).toMatch(/Status: Downloaded newer image for /);
  });
});
