/**
 * Containers whose foreground `berth run` was killed (SIGKILL, a crash)
 * before it could clean up: found by their record (it still names an
 * owning berth process, and that process is gone) and cleaned up the way that run
 * would have: the container killed, its runtime state removed, its root
 * filesystem unmounted, and with --rm everything removed. Every `berth run`
 * does this first; it costs a directory listing when there is nothing to do.
 */
import { readFileSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Store } from '@berth/store';
import { containerDir, listRecords, writeRecord, type ContainerRecord } from './record';

/** A process's start time (clock ticks since boot), to tell it from a later process with the same pid. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the container is running: its record says so and its foreground `berth run` is alive. */
export function isRunning(r: ContainerRecord): boolean {
  return r.state === 'running' && r.owner !== undefined && !orphaned(r);
}

/** Whether the record's owning `berth run` is gone without having cleaned up. */
function orphaned(r: ContainerRecord): boolean {
  if (!r.owner) return false;
  const start = processStart(r.owner.pid);
  return start === undefined || (r.owner.start !== undefined && r.owner.start !== start);
}

/** Cleans up after dead `berth run` processes; returns the ids it handled. */
export async function reapOrphans(store: Store, deleteRuntimeState: (r: ContainerRecord) => Promise<void>): Promise<string[]> {
  const done: string[] = [];
  for (const r of await listRecords(store)) {
    if (!orphaned(r)) continue;
    await deleteRuntimeState(r);
    if (r.autoRemove) {
      await store.rootfs.remove(r.id);
      await fs.rm(containerDir(store, r.id), { recursive: true, force: true });
    } else {
      await store.rootfs.unmount(r.id);
      await fs.rm(path.join(containerDir(store, r.id), 'bundle'), { recursive: true, force: true });
      const { owner: _gone, ...rest } = r;
      await writeRecord(store, r.state === 'created' ? rest : { ...rest, state: 'exited', exitCode: 137, finished: new Date().toISOString() });
    }
    done.push(r.id);
  }
  return done;
}
