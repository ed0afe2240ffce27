import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { startRegistry, type TestRegistry } from '../../../registry-client/test/helpers/registry';
import { berth, buildCli, rmrf, seedImage, tempDir } from '../helpers';

let registry: TestRegistry;
let root: string;
let ref: string;

beforeAll(async () => {
  buildCli();
  registry = await startRegistry();
  await seedImage(registry.host, 'busybox', 'latest', { config: { Entrypoint: ['/bin/sh', '-c'], Labels: { 'org.example': 'yes' } } });
  ref = `${registry.host}/busybox:latest`;
}, 120_000);

afterAll(async () => {
  await registry?.stop();
});

beforeEach(async () => {
  root = tempDir('berth-engine-root-');
  const pulled = await berth(['--root', root, 'pull', '-q', ref]);
  expect(pulled.code).toBe(0);
});
afterEach(() => rmrf(root));

const b = (...args: string[]): ReturnType<typeof berth> => berth(['--root', root, ...args]);

describe('berth images, tag, rmi, image inspect, history', () => {
  it("images prints Docker's table; -q, --digests, --no-trunc and --format", async () => {
    const inspect = JSON.parse((await b('image', 'inspect', ref)).stdout) as [{ Id: string; RepoDigests: string[]; Size: number }];
    const id = inspect[0].Id;
    const r = await b('images');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY\s{3,}TAG {7}IMAGE ID {7}CREATED {7}SIZE$/);
    expect(lines[1]).toMatch(new RegExp(`^${registry.host}/busybox   latest    ${id.slice(7, 19)}   \\d+ (years|months) ago   \\d(\\.\\d+)?MB$`));
    expect(lines).toHaveLength(3);

    expect((await b('images', '-q')).stdout).toBe(`${id.slice(7, 19)}\n`);
    expect((await b('images', '-q', '--no-trunc')).stdout).toBe(`${id}\n`);
    const digests = await b('images', '--digests');
    expect(digests.stdout.split('\n')[0]).toMatch(/TAG {7}DIGEST {3,}IMAGE ID/);
    expect(digests.stdout).toContain(inspect[0].RepoDigests[0].split('@')[1]);
    expect((await b('images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}')).stdout).toBe(`${ref} ${id.slice(7, 19)}\n`);
    expect((await b('images', '--format', 'table {{.Tag}}\\t{{.ID}}')).stdout).toBe(`TAG       IMAGE ID\nlatest    ${id.slice(7, 19)}\n`);
    const json = JSON.parse((await b('images', '--format', 'json')).stdout) as Record<string, string>;
    expect(json).toMatchObject({ Repository: `${registry.host}/busybox`, Tag: 'latest', ID: id.slice(7, 19) });
    expect((await b('images', `${registry.host}/busybox`)).stdout.split('\n')).toHaveLength(3);
    expect((await b('images', `${registry.host}/busybox:latest`)).stdout.split('\n')).toHaveLength(3);
    expect((await b('images', `${registry.host}/busybox:other`)).stdout.split('\n')).toHaveLength(2);
    expect((await b('images', 'unrelated')).stdout).toMatch(/^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n$/);
    const bad = await b('images', '--format', '{{.Nope}}');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: template: .*Nope/);
  });

  it('tag adds names (images lists each), rmi removes a name, then the image with its blobs and layers', async () => {
    expect(await b('tag', ref, 'myapp:1')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await b('tag', 'nope', 'x')).code).toBe(1);
    const listed = (await b('images', '--format', '{{.Repository}}:{{.Tag}}')).stdout.trim().split('\n').sort();
    expect(listed).toEqual([ref, 'myapp:1'].sort());
    const id = (await b('image', 'inspect', '--format', '{{.Id}}', 'myapp:1')).stdout.trim();

    const conflict = await b('rmi', id.slice(7, 19));
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toBe(`Error: conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories\n`);

    expect(await b('rmi', 'myapp:1')).toEqual({ code: 0, stdout: 'Untagged: myapp:1\n', stderr: '' });
    const missing = await b('rmi', 'myapp:1');
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'Error: No such image: myapp:1\n' });

    const r = await b('rmi', ref);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Untagged: ${ref}`);
    expect(lines[1]).toMatch(new RegExp(`^Untagged: ${registry.host}/busybox@sha256:[0-9a-f]{64}$`));
    expect(lines[2]).toBe(`Deleted: ${id}`);
    expect(lines[3]).toMatch(/^Deleted: sha256:[0-9a-f]{64}$/);
    expect((await b('images', '-q')).stdout).toBe('');
    expect(readdirSync(path.join(root, 'blobs/sha256'))).toEqual([]);
    expect(readdirSync(path.join(root, 'snapshots')).filter((n) => !n.startsWith('.'))).toEqual([]);
  });

  it('rmi -f by ID removes every name at once', async () => {
    await b('tag', ref, 'other');
    const id = (await b('images', '-q')).stdout.split('\n')[0];
    const r = await b('rmi', '-f', id);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Untagged: other:latest\n');
    expect(r.stdout).toContain(`Untagged: ${ref}\n`);
    expect(r.stdout).toMatch(/Deleted: sha256:/);
    expect((await b('images', '-q')).stdout).toBe('');
  });

  it('image inspect prints a Docker-shaped array; --format reaches nested fields', async () => {
    const r = await b('image', 'inspect', ref);
    expect(r.code).toBe(0);
    const [img] = JSON.parse(r.stdout) as [Record<string, unknown> & { Config: Record<string, unknown>; RootFS: { Type: string; Layers: string[] } }];
    expect(img.Id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(img.RepoTags).toEqual([ref]);
    expect(img.Created).toBe('2024-01-01T00:00:00Z');
    expect(img.Os).toBe('linux');
    expect(typeof img.Architecture).toBe('string');
    expect(img.Size).toBeGreaterThan(100_000);
    expect(img.Config.Entrypoint).toEqual(['/bin/sh', '-c']);
    expect(img.Config.Labels).toEqual({ 'org.example': 'yes' });
    expect(img.RootFS.Type).toBe('layers');
    expect(img.RootFS.Layers).toHaveLength(1);
    const f = await b('image', 'inspect', '--format', '{{json .Config.Entrypoint}} {{index .Config.Labels "org.example"}} {{.Os}}', ref);
    expect(f.stdout).toBe('["/bin/sh","-c"] yes linux\n');
    const missing = await b('image', 'inspect', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error: No such image: nope\n');
    expect(missing.stdout).toBe('[]\n');
  });

  it('history prints the layers newest first with the image ID on top', async () => {
    const id = (await b('images', '-q')).stdout.trim();
    const r = await b('history', ref);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^IMAGE {10}CREATED {3,}CREATED BY {3,}SIZE {3,}COMMENT$/);
    expect(lines[1].startsWith(`${id}   `)).toBe(true);
    expect(lines[1]).toMatch(/ago {3}.+ {3}\d(\.\d+)?MB/);
    expect((await b('history', '-q', ref)).stdout.split('\n')[0]).toBe(id);
    expect((await b('history', 'nope')).code).toBe(1);
    expect(existsSync(root)).toBe(true);
  });
});
