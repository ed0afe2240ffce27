/**
 * Making an unpacked snapshot durable before it gets its final name: one
 * syncfs(2) of the filesystem holding it (coreutils `sync --file-system`,
 * since Node has no binding and one syscall beats an fsync per file), and
 * when that program is missing, an fsync of every regular file and
 * directory under it. Without this, a power cut after the rename could
 * leave a snapshot that looks complete with empty or missing files.
 */
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';

async function fsyncPath(p: string): Promise<void> {
  const fh = await fs.open(p, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync of every regular file and directory under `dir`, children before parents. */
export async function fsyncTree(dir: string): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await fsyncTree(p);
    else if (e.isFile()) await fsyncPath(p);
    // symlinks, devices, fifos and whiteouts live in their directory's entries
  }
  await fsyncPath(dir);
}

let syncMissing = false;

/** Flushes everything written under `dir` to disk (syncfs, or fsyncTree without the `sync` program). */
export async function syncTree(dir: string): Promise<void> {
  await syncTrees([dir]);
}

/**
 * Flushes everything written under each of `dirs`, which are on one
 * filesystem: one syncfs for them all, or fsyncTree of each.
 */
export async function syncTrees(dirs: readonly string[]): Promise<void> {
  if (dirs.length === 0) return;
  const dir = dirs[0];
  if (!syncMissing) {
    // loaded here, not at import: berth run imports the store and never syncs a tree
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { execFile } = require('node:child_process') as typeof import('node:child_process');
    const missing = await new Promise<boolean>((resolve, reject) => {
      execFile('sync', ['--file-system', dir], (err) => {
        if (!err) resolve(false);
        else if ((err as NodeJS.ErrnoException).code === 'ENOENT') resolve(true);
        else reject(new Error(`sync --file-system ${dir}: ${err.message.trim()}`));
      });
    });
    if (!missing) return;
    syncMissing = true;
  }
  for (const d of dirs) await fsyncTree(d);
}
