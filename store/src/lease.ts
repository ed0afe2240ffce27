/**
 * Leases keep content that an operation in progress is about to use (a pull
 * downloading blobs, an unpack making snapshots) safe from a concurrent GC,
 * before any image in the index names it. A lease is a file under `leases/`
 * naming its holder process; GC ignores the leases of dead processes and
 * removes them. Protecting takes the store lock, and GC holds it from
 * listing to sweeping, so protect-then-check-then-write never races a sweep.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic';
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

  constructor(
    private readonly layout: StoreLayout,
    private readonly lockTimeoutMs?: number,
  ) {
    this.file = path.join(layout.root, 'leases', `${process.pid}-${randomBytes(6).toString('hex')}.json`);
  }

  /** Protects blob digests and snapshot chain IDs from GC until the lease is released. */
  async protect(...digests: string[]): Promise<void> {
    for (const d of digests) this.digests.add(d);
    const doc: LeaseFile = { holder: `${process.pid} ${processStartTime(process.pid) ?? '0'}`, digests: [...this.digests].sort() };
    await withLock(this.layout.lock, () => writeFileAtomic(this.file, JSON.stringify(doc)), { timeoutMs: this.lockTimeoutMs });
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
