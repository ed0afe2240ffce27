import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startRegistry, type TestRegistry } from '../../../registry-client/test/helpers/registry';
import { berth, buildCli, rmrf, seedImage, tempDir } from '../helpers';

let registry: TestRegistry;
let root: string;

beforeAll(async () => {
  buildCli();
  registry = await startRegistry();
  await seedImage(registry.host, 'a');
  await seedImage(registry.host, 'b', 'latest', { extraLayers: [{ 'etc/b': 'b\n' }] });
}, 120_000);

afterAll(async () => {
  await registry?.stop();
});

beforeEach(() => {
  root = tempDir('berth-engine-root-');
});
afterEach(() => rmrf(root));

const b = (...args: string[]): ReturnType<typeof berth> => berth(['--root', root, ...args]);

describe('berth image prune, system df, system check', () => {
  it('image prune removes dangling images only, with their own layers; -a removes the rest; no answer, no pruning', async () => {
    expect((await b('pull', '-q', `${registry.host}/a`)).code).toBe(0);
    const digest = /Digest: (\S+)/.exec((await b('pull', `${registry.host}/b`)).stdout)?.[1] as string;
    expect((await b('rmi', `${registry.host}/b`)).code).toBe(0);
    expect((await b('pull', '-q', `${registry.host}/b@${digest}`)).code).toBe(0); // dangling: a digest, no tag

    const declined = await b('image', 'prune');
    expect(declined.stdout).toBe('WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] \n');
    expect((await b('images', '-q')).stdout.trim().split('\n')).toHaveLength(2);

    const r = await b('image', 'prune', '-f');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Deleted Images:');
    expect(lines[1]).toBe(`untagged: ${registry.host}/b@${digest}`);
    expect(lines[2]).toMatch(/^deleted: sha256:[0-9a-f]{64}$/);
    // Only b's own top layer goes; the busybox layer is a's too.
    expect(lines.filter((l) => l.startsWith('deleted: '))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/^Total reclaimed space: \d+(\.\d+)?[kM]?B$/);
    expect((await b('images', '--format', '{{.Repository}}')).stdout).toBe(`${registry.host}/a\n`);

    const all = await b('image', 'prune', '-a', '-f');
    expect(all.stdout).toContain(`untagged: ${registry.host}/a:latest\n`);
    expect((await b('images', '-q')).stdout).toBe('');
  });

  it("system df prints Docker's summary", async () => {
    expect((await b('pull', '-q', `${registry.host}/a`)).code).toBe(0);
    const r = await b('system', 'df');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$/);
    expect(lines[1]).toMatch(/^Images +1 +0 +\d(\.\d+)?MB +\d(\.\d+)?MB \(100%\)$/);
    expect(lines.slice(2).map((l) => l.split(/ {3,}/)[0])).toEqual(['Containers', 'Local Volumes', 'Build Cache']);
  });

  it('system check reports (--dry-run, exit 1) and repairs what a dead process left', async () => {
    expect((await b('pull', '-q', `${registry.host}/a`)).code).toBe(0);
    const dir = path.join(root, 'blobs/sha256');
    mkdirSync(dir, { recursive: true });
    // A temp blob of a process that no longer exists (pid 2^22 + 1 is above pid_max).
    const stray = path.join(dir, '.tmp-4194305-0123456789ab');
    writeFileSync(stray, 'half a blob');
    const dry = await b('system', 'check', '--dry-run');
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain(`temp: ${stray}: `);
    expect(existsSync(stray)).toBe(true);
    const fix = await b('system', 'check');
    expect(fix.code).toBe(0);
    expect(fix.stdout).toMatch(/\(repaired\)\n1 problem\(s\) found, 1 repaired\n$/);
    expect(existsSync(stray)).toBe(false);
    expect(await b('system', 'check', '--verify-blobs')).toEqual({ code: 0, stdout: 'No problems found\n', stderr: '' });
  });
});
