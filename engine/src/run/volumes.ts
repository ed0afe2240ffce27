/**
 * The image's volumes (Config.Volumes): Docker creates an anonymous volume
 * for each and copies what the image has at that path into it. berth has no
 * volume store yet: each is a directory under the container's state
 * (`<container>/volumes/<n>`), removed with the container (--rm) and kept
 * with it otherwise; named volumes and `-v` come later.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { RunError } from './errors';
import { mkdirInRoot, resolveInRoot } from './rootfs-path';

export interface ImageVolume {
  destination: string;
  source: string;
}

/** The image's volume paths, cleaned and deduplicated, in a stable order (parents first). */
export function volumePaths(volumes: Record<string, unknown> | undefined): string[] {
  const out = new Set<string>();
  for (const raw of Object.keys(volumes ?? {})) {
    if (!raw.startsWith('/')) throw new RunError('ERR_BERTH_RUN_VOLUME', `image volume ${JSON.stringify(raw)}: not an absolute path`);
    const p = path.posix.normalize(raw).replace(/\/+$/, '');
    if (p === '') throw new RunError('ERR_BERTH_RUN_VOLUME', 'image volume "/": invalid mount config for type "volume": invalid specification: destination can\'t be \'/\'');
    out.add(p);
  }
  return [...out].sort();
}

function copyTree(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // cp -a keeps owners, modes, times, xattrs, links, devices; `from/.` copies the content only
    // loaded here: most images have no volume with content to copy
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const child = spawn('cp', ['-a', '--', `${from}/.`, `${to}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new RunError('ERR_BERTH_RUN_VOLUME', `copying the image's content into a volume: ${err.trim()}`))));
  });
}

/**
 * Makes one directory per image volume under `dir`, filled with the image's
 * content at that path (owner and mode of the path's directory too), and the
 * mount point in the root filesystem, as Docker's copy-up of a new volume.
 */
export async function prepareImageVolumes(rootfs: string, dir: string, paths: readonly string[]): Promise<ImageVolume[]> {
  if (paths.length === 0) return [];
  await fs.mkdir(dir, { mode: 0o700 });
  const out: ImageVolume[] = [];
  for (const [i, destination] of paths.entries()) {
    const source = path.join(dir, String(i));
    await fs.mkdir(source, { mode: 0o755 });
    const inRoot = await resolveInRoot(rootfs, destination);
    const st = await fs.lstat(inRoot).catch(() => undefined);
    if (st?.isDirectory()) {
      await copyTree(inRoot, source);
      await fs.chown(source, st.uid, st.gid);
      await fs.chmod(source, st.mode & 0o7777);
    } else if (st === undefined) {
      await mkdirInRoot(rootfs, destination);
    } else {
      throw new RunError('ERR_BERTH_RUN_VOLUME', `image volume ${destination}: not a directory in the image`);
    }
    out.push({ destination, source });
  }
  return out;
}
