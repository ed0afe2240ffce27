/**
 * `berth system check`: finds what an interrupted or crashed operation left
 * and, unless asked only to report, repairs it. Interrupted writes leave only
 * `.tmp-` files and dirs (every write is temp + rename), so most repairs are
 * removals; a temp file whose creator still runs is left alone. Runs under
 * the store lock, so it never races GC or an index update.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isDigest } from '@berth/spec';
import { TEMP_PREFIX } from './atomic';
import type { StoreLayout } from './layout';
import { readLeases } from './lease';
import { processStartTime, withLock } from './lock';
import { isMountPoint } from './rootfs';
import { chainIdOfDirName, shortLinkName } from './snapshots';
import type { Store } from './store';

export type ProblemKind =
  | 'temp'
  | 'stale-lock'
  | 'dead-lease'
  | 'corrupt-blob'
  | 'stray-file'
  | 'incomplete-snapshot'
  | 'orphan-snapshot'
  | 'short-link'
  | 'incomplete-image'
  | 'incomplete-rootfs'
  | 'rootfs-missing-snapshot';

export interface Problem {
  readonly kind: ProblemKind;
  /** The file, directory or image concerned. */
  readonly subject: string;
  readonly message: string;
  readonly repaired: boolean;
}

export interface CheckOptions {
  /** Only report (default: repair). */
  readonly dryRun?: boolean;
  /** Rehash every blob (slow on big stores). */
  readonly verifyBlobs?: boolean;
}

export interface CheckResult {
  readonly problems: readonly Problem[];
}

/** The pid that made a temp name (`.tmp-<hint><pid>-<12 hex>`), if it is still running. */
function tempOwnerAlive(name: string): boolean {
  const m = /(\d+)-[0-9a-f]{12}$/.exec(name);
  return m !== null && Number(m[1]) !== process.pid && processStartTime(Number(m[1])) !== undefined;
}

const ls = (dir: string): Promise<string[]> => fs.readdir(dir).catch(() => [] as string[]);

/** Temp files and dirs whose creating process is gone (what kill -9 or a power cut leaves). */
export async function interruptedLeftovers(L: StoreLayout): Promise<string[]> {
  const rootfsDirs = (await ls(L.rootfs)).map((n) => path.join(L.rootfs, n));
  const dirs = [L.root, L.blobDir('sha256'), L.blobDir('sha512'), L.snapshots, L.rootfs, path.join(L.root, 'leases'), ...rootfsDirs];
  const out: string[] = [];
  for (const dir of dirs) {
    for (const name of await ls(dir)) {
      if (name.startsWith(TEMP_PREFIX) && !tempOwnerAlive(name)) out.push(path.join(dir, name));
    }
  }
  return out;
}

/**
 * Removes what interrupted operations left (temp files, dead leases) without
 * the full check; cheap enough to run before every pull, load or build.
 */
export async function cleanupInterrupted(L: StoreLayout): Promise<string[]> {
  const removed = [...(await interruptedLeftovers(L)), ...(await readLeases(L)).dead];
  for (const p of removed) await fs.rm(p, { recursive: true, force: true });
  return removed;
}

export async function check(store: Store, options: CheckOptions = {}): Promise<CheckResult> {
  // the lock file itself may be what is stale: acquiring it breaks a dead holder's lock
  return withLock(store.layout.lock, () => checkLocked(store, options), { timeoutMs: store.lockTimeoutMs });
}

async function checkLocked(store: Store, options: CheckOptions): Promise<CheckResult> {
  const problems: Problem[] = [];
  const repair = !options.dryRun;
  const L = store.layout;
  const note = async (kind: ProblemKind, subject: string, message: string, fix?: () => Promise<unknown>): Promise<void> => {
    if (repair && fix) await fix();
    problems.push({ kind, subject, message, repaired: repair && fix !== undefined });
  };
  const rmrf = (p: string) => () => fs.rm(p, { recursive: true, force: true });

  // 1. temp files and dirs of dead processes
  const rootfsDirs = (await ls(L.rootfs)).map((n) => path.join(L.rootfs, n));
  for (const p of await interruptedLeftovers(L)) await note('temp', p, `left by an interrupted operation`, rmrf(p));
  const breaker = `${L.lock}.break`;
  if ((await ls(L.root)).includes(path.basename(breaker))) {
    const holder = (await fs.readFile(breaker, 'utf8').catch(() => '')).trim();
    const pid = Number(holder.split(' ')[0]);
    if (!(pid > 0 && processStartTime(pid) !== undefined)) await note('stale-lock', breaker, `lock-break file of a dead process`, rmrf(breaker));
  }
  for (const dead of (await readLeases(L)).dead) await note('dead-lease', dead, 'lease of a process that is gone', rmrf(dead));

  // 2. blobs
  for (const alg of ['sha256', 'sha512']) {
    for (const name of await ls(L.blobDir(alg))) {
      if (name.startsWith(TEMP_PREFIX)) continue;
      const p = path.join(L.blobDir(alg), name);
      if (!isDigest(`${alg}:${name}`)) {
        await note('stray-file', p, 'not named by a digest');
        continue;
      }
      if (options.verifyBlobs && !(await store.content.verify(`${alg}:${name}`))) {
        await note('corrupt-blob', p, `content does not hash to ${alg}:${name}`, rmrf(p));
      }
    }
  }

  // 3. snapshots: complete, parent present (repeat: removing one may orphan its children), short links
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of await ls(L.snapshots)) {
      if (name.startsWith(TEMP_PREFIX)) continue;
      const dir = path.join(L.snapshots, name);
      const chainId = chainIdOfDirName(name);
      const info = chainId === undefined ? undefined : await store.snapshots.get(chainId).catch(() => undefined);
      const hasFs = await fs.stat(path.join(dir, 'fs')).then((s) => s.isDirectory(), () => false);
      if (!info || !hasFs || info.chainId !== chainId) {
        if (problems.some((p) => p.subject === dir)) continue;
        await note('incomplete-snapshot', dir, 'snapshot without valid meta.json or fs/', rmrf(dir));
        changed = repair;
        continue;
      }
      if (info.parent !== null && !(await store.snapshots.has(info.parent))) {
        if (problems.some((p) => p.subject === dir)) continue;
        await note('orphan-snapshot', dir, `parent snapshot ${info.parent} is missing`, () => store.snapshots.remove(info.chainId));
        changed = repair;
      }
    }
  }
  const snapshots = await store.snapshots.list();
  const wanted = new Map(snapshots.map((s) => [shortLinkName(s.chainId), s.chainId]));
  for (const name of await ls(L.links)) {
    if (!wanted.has(name)) await note('short-link', path.join(L.links, name), 'points at no snapshot', rmrf(path.join(L.links, name)));
  }
  for (const [name, chainId] of wanted) {
    const link = path.join(L.links, name);
    const target = await fs.readlink(link).catch(() => undefined);
    if (target !== path.relative(L.links, store.snapshots.fsPath(chainId))) {
      await note('short-link', link, `missing or wrong link for snapshot ${chainId}`, async () => {
        await fs.rm(link, { force: true });
        await store.snapshots.ensureLink(chainId);
      });
    }
  }

  // 4. images whose manifest, config or layers are missing: dropped from the index (GC frees the rest)
  for (const img of await store.images.list()) {
    let missing: string | undefined;
    try {
      const m = await store.manifest(img.digest);
      for (const d of [m.config.digest, ...m.layers.map((l) => l.digest)]) {
        if (!(await store.content.has(d))) {
          missing = `blob ${d} is missing`;
          break;
        }
      }
    } catch (err) {
      missing = (err as Error).message;
    }
    if (missing === undefined) continue;
    await note('incomplete-image', img.digest, `image ${[...img.tags, img.digest][0]} is incomplete: ${missing}`, () =>
      store.images.updateLocked((index) => {
        delete index.images[img.digest];
        for (const [tag, target] of Object.entries(index.tags)) if (target === img.digest) delete index.tags[tag];
      }),
    );
  }

  // 5. root filesystems
  for (const dir of rootfsDirs) {
    const name = path.basename(dir);
    if (name.startsWith(TEMP_PREFIX)) continue;
    const info = await store.rootfs.get(name).catch(() => undefined);
    if (!info) {
      const mounted = isMountPoint(path.join(dir, 'merged'));
      await note('incomplete-rootfs', dir, 'root filesystem without meta.json', mounted ? undefined : rmrf(dir));
      continue;
    }
    for (const s of info.snapshots) {
      if (!(await store.snapshots.has(s))) {
        // the upper dir may hold a container's data: report, do not delete
        await note('rootfs-missing-snapshot', dir, `uses snapshot ${s}, which is missing`);
        break;
      }
    }
  }
  return { problems };
}
