/**
 * The busybox root filesystem every fixture image is made of: Debian's
 * static busybox, a relative symlink per applet, minimal /etc/passwd and
 * /etc/group, and the directories a container expects. It is described once
 * as a list of tar entries; the directory on disk and the layer tarball are
 * both made from that list, so they cannot drift apart.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { chmod, lchown, lutimes, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, posix, relative, resolve, sep } from 'node:path';
import { FixtureError } from './errors';
import { FIXTURE_EPOCH, type TarEntry } from './tar';

/** Where Debian's busybox-static puts the binary. */
export const DEFAULT_BUSYBOX = '/bin/busybox';

export interface RootfsOptions {
  /** The static busybox binary to copy (default /bin/busybox). */
  readonly busybox?: string;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\n';
const DIRS: ReadonlyArray<readonly [string, number]> = [
  ['bin', 0o755],
  ['dev', 0o755],
  ['etc', 0o755],
  ['proc', 0o555],
  ['root', 0o700],
  ['sbin', 0o755],
  ['sys', 0o555],
  ['tmp', 0o1777],
  ['usr', 0o755],
  ['usr/bin', 0o755],
  ['usr/sbin', 0o755],
];

const cache = new Map<string, { binary: Buffer; applets: string[] }>();

function loadBusybox(path: string): { binary: Buffer; applets: string[] } {
  const hit = cache.get(path);
  if (hit) return hit;
  if (!existsSync(path)) {
    throw new FixtureError(`${path} not found: install Debian's busybox-static (apt-get install busybox-static)`);
  }
  let list: string;
  try {
    list = execFileSync(path, ['--list-full'], { encoding: 'utf8' });
  } catch (err) {
    throw new FixtureError(`${path} --list-full failed; is it busybox?`, { cause: err });
  }
  const applets = list
    .split('\n')
    .map((l) => l.trim())
    // linuxrc is an initrd entry point, not an applet a container needs
    .filter((l) => l !== '' && l !== 'linuxrc' && l !== 'bin/busybox' && !l.startsWith('/') && !l.split('/').includes('..'));
  const loaded = { binary: readFileSync(path), applets };
  cache.set(path, loaded);
  return loaded;
}

/**
 * The rootfs as tar entries in layer order: sorted by path, so parents come
 * before children and the order never depends on the filesystem.
 */
export function busyboxRootfsEntries(options: RootfsOptions = {}): TarEntry[] {
  const { binary, applets } = loadBusybox(options.busybox ?? DEFAULT_BUSYBOX);
  const entries = new Map<string, TarEntry>();
  for (const [path, mode] of DIRS) entries.set(path, { type: 'dir', path, mode });
  entries.set('bin/busybox', { type: 'file', path: 'bin/busybox', data: binary, mode: 0o755 });
  entries.set('etc/passwd', { type: 'file', path: 'etc/passwd', data: PASSWD, mode: 0o644 });
  entries.set('etc/group', { type: 'file', path: 'etc/group', data: GROUP, mode: 0o644 });
  for (const applet of applets) {
    // a relative target works both inside the container and on the host
    const target = posix.relative(posix.dirname(applet), 'bin/busybox');
    for (let d = posix.dirname(applet); d !== '.'; d = posix.dirname(d)) {
      if (!entries.has(d)) entries.set(d, { type: 'dir', path: d, mode: 0o755 });
    }
    entries.set(applet, { type: 'symlink', path: applet, target });
  }
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Writes `entries` under `dir` with their modes, uid/gid (0 unless given) and
 * the fixed mtime; paths that would leave `dir` are refused.
 */
export async function writeEntries(dir: string, entries: readonly TarEntry[]): Promise<void> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const dirs: Array<{ path: string; mtime: number }> = [];
  for (const e of entries) {
    const path = resolve(root, e.path);
    if (path !== root && !path.startsWith(root + sep)) throw new FixtureError(`entry ${e.path} escapes ${root}`);
    if (relative(root, path) === '') continue;
    await mkdir(dirname(path), { recursive: true });
    const mtime = e.mtime ?? FIXTURE_EPOCH;
    switch (e.type) {
      case 'dir':
        await mkdir(path, { recursive: true });
        await chmod(path, e.mode ?? 0o755); // chmod, because mkdir's mode is filtered by the umask
        dirs.push({ path, mtime });
        break;
      case 'file':
        await writeFile(path, e.data);
        await chmod(path, e.mode ?? 0o644);
        await utimes(path, mtime, mtime);
        break;
      case 'symlink':
        await symlink(e.target, path);
        await lutimes(path, mtime, mtime);
        break;
      case 'hardlink':
        throw new FixtureError(`hard link ${e.path}: not supported on disk`);
    }
    await lchown(path, e.uid ?? 0, e.gid ?? 0);
  }
  // directory mtimes last, deepest first: creating children changes them
  for (const d of dirs.reverse()) await utimes(d.path, d.mtime, d.mtime);
  await utimes(root, FIXTURE_EPOCH, FIXTURE_EPOCH);
}

/**
 * Makes the busybox root filesystem in `dir` (created if missing; it should
 * be empty). Returns the absolute rootfs path.
 */
export async function makeBusyboxRootfs(dir: string, options: RootfsOptions = {}): Promise<string> {
  await writeEntries(dir, busyboxRootfsEntries(options));
  return resolve(dir);
}
