/**
 * `--init`: the init Docker runs as pid 1 (tini, installed as docker-init),
 * which forwards signals to the command and reaps zombies. It must be
 * static: it runs inside the image's root filesystem.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { RunError } from './errors';

/** Looked up in PATH in this order: dockerd's default name, then Debian's static tini. */
const INIT_NAMES = ['docker-init', 'tini-static'];

export function findInitBinary(searchPath = process.env['PATH'] ?? ''): string {
  const dirs = searchPath.split(':').filter((d) => d !== '');
  for (const name of INIT_NAMES) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new RunError('ERR_BERTH_RUN_INIT', `--init: no init binary found (${INIT_NAMES.join(' or ')} in PATH; apt-get install tini)`);
}
