/**
 * The container record, `<root>/containers/<id>/config.json`: what a later
 * `berth ps -a` / `berth rm` needs. Names are unique: they are checked and
 * the record written under the store lock.
 *
 * Written atomically (temp file + rename) but not fsynced: every run writes
 * it two or three times and an fsync costs 10-50 ms here; a power cut can
 * only lose the latest state change, never leave a torn file. Reads and writes
 * are synchronous: small files, and a thread-pool round trip per step costs more.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TEMP_PREFIX, withLock, type Store } from '@berth/store';
import { NameConflictError } from './errors';
import { generateName } from './names';

export interface ContainerRecord {
  id: string;
  name: string;
  /** The image as given on the command line, and the manifest digest it resolved to. */
  image: string;
  imageDigest: string;
  /** The image ID (config digest). */
  imageId: string;
  created: string;
  args: string[];
  hostname: string;
  runtime: string;
  /**
   * The foreground `berth run` responsible for the container, while it is (cleared once it
   * has cleaned up): a dead owner means it was killed and left a mount behind. `start` is the
   * process's start time (/proc/<pid>/stat), so a recycled pid is not taken for it.
   */
  owner?: { pid: number; start?: string };
  /** `--rm`: whoever cleans up after it removes everything. */
  autoRemove: boolean;
  state: 'created' | 'running' | 'exited';
  exitCode?: number;
  finished?: string;
}

export function containersDir(store: Store): string {
  return path.join(store.root, 'containers');
}

export function containerDir(store: Store, id: string): string {
  return path.join(containersDir(store), id);
}

export async function readRecord(store: Store, id: string): Promise<ContainerRecord | undefined> {
  return readRecordSync(store, id);
}

function readRecordSync(store: Store, id: string): ContainerRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(containerDir(store, id), 'config.json'), 'utf8')) as ContainerRecord;
  } catch {
    return undefined;
  }
}

export async function listRecords(store: Store): Promise<ContainerRecord[]> {
  let names: string[];
  try {
    names = fs.readdirSync(containersDir(store));
  } catch {
    return [];
  }
  const out: ContainerRecord[] = [];
  for (const n of names) {
    if (!/^[0-9a-f]{64}$/.test(n)) continue;
    const r = readRecordSync(store, n);
    if (r) out.push(r);
  }
  return out;
}

export async function writeRecord(store: Store, record: ContainerRecord): Promise<void> {
  const dir = containerDir(store, record.id);
  // named as the store names its temp files (prefix, pid, random), never mistaken for a record
  const tmp = path.join(dir, `${TEMP_PREFIX}config.json-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, path.join(dir, 'config.json'));
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Creates the container's directory and record with a unique name (the
 * given one, or a generated one); a taken `--name` is Docker's conflict error.
 */
export async function createRecord(store: Store, record: Omit<ContainerRecord, 'name'>, name: string | undefined): Promise<ContainerRecord> {
  return withLock(store.layout.lock, async () => {
    const taken = new Map((await listRecords(store)).map((r) => [r.name, r.id]));
    let chosen = name;
    if (chosen !== undefined) {
      const other = taken.get(chosen);
      if (other !== undefined) throw new NameConflictError(chosen, other);
    } else {
      chosen = generateName();
      for (let n = 1; taken.has(chosen); n++) chosen = `${generateName()}${n}`;
    }
    const full: ContainerRecord = { ...record, name: chosen };
    fs.mkdirSync(containersDir(store), { recursive: true, mode: 0o710 });
    fs.mkdirSync(containerDir(store, record.id), { mode: 0o710 });
    await writeRecord(store, full);
    return full;
  }, { timeoutMs: store.lockTimeoutMs });
}
