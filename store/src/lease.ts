/**
 * Leases keep content that an operation in progress is about to use (a pull
 * downloading blobs, an unpack making snapshots) safe from a concurrent GC,
 * before any image in the index names it. A lease is a file under `leases/`
 * naming its holder process; GC ignores the leases of dead processes and
 * removes them. Protecting takes the store lock, and GC holds it from
 * listing to sweeping, so protect-then-check-then-write never races a sweep.
 *
 * The file is replaced atomically (temp + rename: GC never reads half of
 * it) but not fsynced: it matters only while its holder lives, and after a
 * crash the holder is dead and the lease void, whatever reached the disk.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tempName } from './atomic';
import { StoreLayout } from './layout';
import { processStartTime, withLock } from './lock';

export interface LeaseFile {
  /** `<pid> <start time>` of the holder. */
  readonly holder: string;
  /** Blob digests and snapshot chain IDs. */
  readonly digests: string[];
}

export class Lease {
  readonly file: string;
  private readonly digests = new Set<string>();
  private holder: string | undefined;
  private written: Promise<void> = Promise.resolve();

  constructor(
    private readonly layout: StoreLayout,
    private readonly lockTimeoutMs?: number,
  ) {
    this.file = path.join(layout.root, 'leases', `${process.pid}-${randomBytes(6).toString('hex')}.json`);
  }

  /** Protects blob digests and snapshot chain IDs from GC until the lease is released. */
  async protect(...digests: string[]): Promise<void> {
    const fresh = digests.filter((d) => !this.digests.has(d));
    // Nothing new: the latest write (maybe still in flight) lists them; wait for it.
    if (fresh.length === 0) return this.written;
    for (const d of fresh) this.digests.add(d);
    this.holder ??= `${process.pid} ${processStartTime(process.pid) ?? '0'}`;
    this.written = withLock(
      this.layout.lock,
      // The document is made under the lock, so of concurrent calls the last to write lists them all.
      () => this.write({ holder: this.holder ?? '', digests: [...this.digests].sort() }),
      { timeoutMs: this.lockTimeoutMs },
    );
    return this.written;
  }

  private async write(doc: LeaseFile): Promise<void> {
    const dir = path.dirname(this.file);
    await fs.mkdir(dir, { recursive: true });
    const tmp = tempName(dir, 'lease-');
    try {
      await fs.writeFile(tmp, JSON.stringify(doc), { flag: 'wx', mode: 0o644 });
      await fs.rename(tmp, this.file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async release(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }
}

/** Whether a lease's holder still runs. */
export function leaseAlive(lease: LeaseFile): boolean {
  const [pid, start] = lease.holder.split(' ');
  const actual = processStartTime(Number(pid));
  return actual !== undefined && actual === start;
}

/** Every lease file: live ones with their digests, dead ones to remove. */
export async function readLeases(layout: StoreLayout): Promise<{ live: Set<string>; dead: string[] }> {
  const dir = path.join(layout.root, 'leases');
  const live = new Set<string>();
  const dead: string[] = [];
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    try {
      const lease = JSON.parse(await fs.readFile(file, 'utf8')) as LeaseFile;
      if (leaseAlive(lease)) for (const d of lease.digests) live.add(d);
      else dead.push(file);
    } catch {
      dead.push(file);
    }
  }
  return { live, dead };
}
