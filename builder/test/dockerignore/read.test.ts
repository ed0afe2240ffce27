// Which ignore file a build uses: `<Dockerfile>.dockerignore` beside the
// Dockerfile wins over the context's `.dockerignore` (as BuildKit decides).
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DockerignoreError, readDockerignore } from '../../src/dockerignore';

let root: string;
let ctx: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'berth-dockerignore-'));
  ctx = path.join(root, 'ctx');
  await mkdir(ctx);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function texts(patterns: readonly { pattern: string; exclusion: boolean }[]): string[] {
  return patterns.map((p) => `${p.exclusion ? '!' : ''}${p.pattern}`);
}

describe('readDockerignore', () => {
  it('returns no patterns when there is no ignore file', async () => {
    expect(await readDockerignore(ctx)).toEqual({ path: null, patterns: [] });
  });

  it('reads the context .dockerignore', async () => {
    await writeFile(path.join(ctx, '.dockerignore'), '# deps\nnode_modules\n!node_modules/keep\n');
    const r = await readDockerignore(ctx);
    expect(r.path).toBe(path.join(ctx, '.dockerignore'));
    expect(texts(r.patterns)).toEqual(['node_modules', '!node_modules/keep']);
  });

  it('prefers Dockerfile.dockerignore for the default Dockerfile', async () => {
    await writeFile(path.join(ctx, '.dockerignore'), 'generic\n');
    await writeFile(path.join(ctx, 'Dockerfile.dockerignore'), 'specific\n');
    const r = await readDockerignore(ctx);
    expect(r.path).toBe(path.join(ctx, 'Dockerfile.dockerignore'));
    expect(texts(r.patterns)).toEqual(['specific']);
  });

  it('looks next to a Dockerfile in a subdirectory, by its full name', async () => {
    await mkdir(path.join(ctx, 'build'));
    await writeFile(path.join(ctx, '.dockerignore'), 'generic\n');
    await writeFile(path.join(ctx, 'build', 'app.Dockerfile.dockerignore'), 'for-app\n');
    await writeFile(path.join(ctx, 'app.Dockerfile.dockerignore'), 'wrong-place\n');
    const r = await readDockerignore(ctx, 'build/app.Dockerfile');
    expect(texts(r.patterns)).toEqual(['for-app']);
    // A Dockerfile outside the context, given absolutely.
    await writeFile(path.join(root, 'Outside.Dockerfile.dockerignore'), 'outside\n');
    expect(texts((await readDockerignore(ctx, path.join(root, 'Outside.Dockerfile'))).patterns)).toEqual(['outside']);
  });

  it('falls back to .dockerignore when the Dockerfile has no own file', async () => {
    await writeFile(path.join(ctx, '.dockerignore'), 'generic\n');
    const r = await readDockerignore(ctx, 'other.Dockerfile');
    expect(texts(r.patterns)).toEqual(['generic']);
  });

  it('uses the context .dockerignore for a Dockerfile read from stdin', async () => {
    await writeFile(path.join(ctx, '.dockerignore'), 'generic\n');
    await writeFile(path.join(ctx, '-.dockerignore'), 'not-this\n');
    expect(texts((await readDockerignore(ctx, '-')).patterns)).toEqual(['generic']);
  });

  it('names the file and line of a bad pattern', async () => {
    await writeFile(path.join(ctx, '.dockerignore'), 'ok\n\n[oops\n');
    await expect(readDockerignore(ctx)).rejects.toThrow(`${path.join(ctx, '.dockerignore')}:3: syntax error in pattern "[oops"`);
  });

  it('refuses a .dockerignore that is a directory', async () => {
    await mkdir(path.join(ctx, '.dockerignore'));
    await expect(readDockerignore(ctx)).rejects.toThrow(DockerignoreError);
    await expect(readDockerignore(ctx)).rejects.toThrow(/\.dockerignore: is a directory/);
  });

  it('follows a symlink inside the context but not one leading out of it', async () => {
    await writeFile(path.join(ctx, 'ignore.txt'), 'inside\n');
    await symlink('ignore.txt', path.join(ctx, '.dockerignore'));
    expect(texts((await readDockerignore(ctx)).patterns)).toEqual(['inside']);

    await rm(path.join(ctx, '.dockerignore'));
    await writeFile(path.join(root, 'secret'), 'outside\n');
    await symlink('../secret', path.join(ctx, '.dockerignore'));
    await expect(readDockerignore(ctx)).rejects.toThrow(/points outside the build context/);
  });

  it('treats a dangling .dockerignore symlink as absent', async () => {
    await symlink('missing', path.join(ctx, '.dockerignore'));
    expect(await readDockerignore(ctx)).toEqual({ path: null, patterns: [] });
  });
});
