/**
 * Paths inside a container's root filesystem, resolved as the container
 * would see them: symlinks (absolute or relative, `..` included) are
 * followed within the root and can never lead out of it, as Go's
 * securejoin does for runc and Docker. Used before the container starts,
 * on a root that only the image wrote.
 *
 * Synchronous underneath (the functions stay async for their callers): `berth run`
 * has nothing else to do meanwhile, and each promise-based call is a thread-pool
 * round trip that costs more than the lstat it waits for, the more so under load.
 */
import * as fs from 'node:fs';
import { constants } from 'node:fs';
import * as path from 'node:path';
import { RunError } from './errors';

const MAX_LINKS = 255;

/** The host path of `inner` (a container path) under `root`, every symlink resolved inside `root`. */
export async function resolveInRoot(root: string, inner: string): Promise<string> {
  const parts = inner.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let links = 0;
  while (parts.length > 0) {
    const part = parts.shift() as string;
    if (part === '..') {
      done.pop(); // never above the root
      continue;
    }
    const host = path.join(root, ...done, part);
    const st = lstatIfExists(host);
    if (!st?.isSymbolicLink()) {
      done.push(part);
      if (!st) {
        // the rest does not exist: nothing left that could be a link
        for (const p of parts) {
          if (p === '..') done.pop();
          else done.push(p);
        }
        break;
      }
      continue;
    }
    if (++links > MAX_LINKS) throw new RunError('ERR_BERTH_RUN_SYMLINK_LOOP', `${inner}: too many levels of symbolic links in the image`);
    const target = fs.readlinkSync(host);
    if (target.startsWith('/')) done.length = 0;
    parts.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return path.join(root, ...done);
}

/** A file's text inside the root, or undefined when missing; never follows a link out of it. */
export async function readFileInRoot(root: string, inner: string): Promise<string | undefined> {
  const host = await resolveInRoot(root, inner);
  let fd;
  try {
    fd = fs.openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return undefined;
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Creates a directory (and missing parents, mode 0755, owned by root) inside
 * the root, as Docker does for a WorkingDir the image lacks.
 */
export async function mkdirInRoot(root: string, inner: string): Promise<void> {
  const host = await resolveInRoot(root, inner);
  const rel = path.relative(root, host);
  let cur = root;
  for (const part of rel === '' ? [] : rel.split(path.sep)) {
    cur = path.join(cur, part);
    try {
      fs.mkdirSync(cur, 0o755);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const st = fs.lstatSync(cur);
    if (!st.isDirectory()) {
      throw new RunError('ERR_BERTH_RUN_WORKDIR', `working directory ${inner}: ${path.posix.join('/', path.relative(root, cur))} is not a directory in the image`);
    }
  }
}

/** lstat, or undefined when the path (or a parent of it) does not exist. */
function lstatIfExists(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}
