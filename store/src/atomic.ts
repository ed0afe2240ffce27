/**
 * Atomic file replacement: write a temp file next to the target, fsync it,
 * rename it over the target, fsync the directory. Readers see the old or the
 * new content, never a mix; a crash leaves at worst a `.tmp-` file, which the
 * consistency check removes.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Prefix of every temp file and directory the store creates; `check` removes leftovers. */
export const TEMP_PREFIX = '.tmp-';

export function tempName(dir: string, hint = ''): string {
  return path.join(dir, `${TEMP_PREFIX}${hint}${process.pid}-${randomBytes(6).toString('hex')}`);
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = tempName(dir, path.basename(file) + '-');
  const fh = await fs.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}
