import { lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { DockerignoreError } from './errors';
import type { Pattern } from './matcher';
import { parseDockerignore } from './parse';

export interface DockerignoreFile {
  /** The file the patterns came from, or null when there is none. */
  readonly path: string | null;
  readonly patterns: Pattern[];
}

/**
 * Reads the ignore file for a build as BuildKit picks it: `<Dockerfile>.dockerignore`
 * next to the Dockerfile (e.g. `build/app.Dockerfile.dockerignore`) wins over
 * `<context>/.dockerignore`; with neither, nothing is ignored. `dockerfile` is
 * absolute or relative to `contextDir` (resolve a `-f` given relative to the
 * working directory before calling; `-` means a Dockerfile from stdin, which has
 * no ignore file of its own). The context's file may be a symlink only if it
 * stays inside the context.
 */
export async function readDockerignore(contextDir: string, dockerfile = 'Dockerfile'): Promise<DockerignoreFile> {
  if (dockerfile !== '-') {
    const specific = `${path.resolve(contextDir, dockerfile)}.dockerignore`;
    const specificText = await readIfExists(specific);
    if (specificText !== undefined) return { path: specific, patterns: parseDockerignore(specificText, specific) };
  }

  const generic = path.join(contextDir, '.dockerignore');
  const info = await lstat(generic).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw new DockerignoreError(`cannot read: ${err.message}`, { file: generic }, { cause: err });
  });
  if (!info) return { path: null, patterns: [] };
  if (info.isSymbolicLink()) await assertInside(contextDir, generic);
  const text = await readIfExists(generic);
  if (text === undefined) return { path: null, patterns: [] };
  return { path: generic, patterns: parseDockerignore(text, generic) };
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    const why = code === 'EISDIR' ? 'is a directory' : `cannot read: ${(err as Error).message}`;
    throw new DockerignoreError(why, { file }, { cause: err });
  }
}

async function assertInside(contextDir: string, file: string): Promise<void> {
  const [root, target] = await Promise.all([realpath(contextDir), realpath(file).catch(() => undefined)]);
  if (target === undefined) return; // dangling: treated as absent by the read
  const rel = path.relative(root, target);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new DockerignoreError('is a symlink that points outside the build context', { file });
  }
}
