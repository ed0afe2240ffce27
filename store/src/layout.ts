/**
 * Where everything lives under the store root (`/var/lib/berth` unless
 * `BERTH_ROOT` or an explicit root says otherwise):
 *
 *   blobs/sha256/<hex>          content, by digest (like an OCI image layout)
 *   images.json                 the image index (references → manifest digests)
 *   snapshots/<chain hex>/fs    one unpacked layer, overlay-ready (whiteouts as 0/0 devices)
 *   snapshots/<chain hex>/meta.json
 *   l/<short id>                short symlinks to snapshot fs dirs, for long lowerdir lists
 *   rootfs/<id>/{upper,work,merged,meta.json}   container root filesystems
 *   store.lock                  the lock that serialises index and GC changes
 */
import * as path from 'node:path';

export const DEFAULT_ROOT = '/var/lib/berth';

/** The store root: the argument, else `BERTH_ROOT`, else /var/lib/berth. */
export function resolveRoot(root?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = root ?? (env.BERTH_ROOT !== undefined && env.BERTH_ROOT !== '' ? env.BERTH_ROOT : DEFAULT_ROOT);
  return path.resolve(chosen);
}

export class StoreLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get blobs(): string {
    return path.join(this.root, 'blobs');
  }

  blobDir(algorithm: string): string {
    return path.join(this.root, 'blobs', algorithm);
  }

  get index(): string {
    return path.join(this.root, 'images.json');
  }

  get lock(): string {
    return path.join(this.root, 'store.lock');
  }

  get snapshots(): string {
    return path.join(this.root, 'snapshots');
  }

  snapshot(chainHex: string): string {
    return path.join(this.root, 'snapshots', chainHex);
  }

  get links(): string {
    return path.join(this.root, 'l');
  }

  get rootfs(): string {
    return path.join(this.root, 'rootfs');
  }
}
