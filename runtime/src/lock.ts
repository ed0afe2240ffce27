import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOCK, flock } from '@berth/sys';
import { checkId } from './state';

/**
 * Per-container locks, so that two berth-runtime commands on one id (create against delete,
 * two deletes, start against delete) run one after the other instead of corrupting the state
 * directory. The lock is flock(2) on `<root>/<id>:lock` (':' cannot occur in an id, so the
 * file never collides with a container directory); the kernel drops it when the holder dies,
 * so a crashed command leaves no stale lock. The file is removed, under the lock, once the
 * container's directory is gone; a waiter that then gets the lock on the removed file sees
 * that its path now names another file (or none) and locks again.
 *
 * Within one process the lock is re-entrant: the CLI runs one command per process, and a
 * blocking flock against our own descriptor would never return.
 */
export class ContainerLocks {
  private readonly held = new Map<string, { fd: number; depth: number }>();

  constructor(readonly root: string) {}

  path(id: string): string {
    checkId(id);
    return path.join(this.root, `${id}:lock`);
  }

  /** Blocks until this process holds `id`'s lock; returns the release function (call it once). */
  acquire(id: string): () => void {
    const file = this.path(id);
    const mine = this.held.get(file);
    if (mine) {
      mine.depth++;
    } else {
      fs.mkdirSync(this.root, { recursive: true, mode: 0o711 });
      this.held.set(file, { fd: lockFile(file), depth: 1 });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(id, file);
    };
  }

  /** Runs `fn` holding `id`'s lock (until its promise settles, when it returns one). */
  with<T>(id: string, fn: () => T): T {
    const release = this.acquire(id);
    let result: T;
    try {
      result = fn();
    } catch (err) {
      release();
      throw err;
    }
    if (result instanceof Promise) return result.finally(release) as T;
    release();
    return result;
  }

  private release(id: string, file: string): void {
    const mine = this.held.get(file);
    if (!mine || --mine.depth > 0) return;
    this.held.delete(file);
    try {
      // Still ours: nobody else can be past lockFile() on this path now.
      if (!fs.existsSync(path.join(this.root, id))) fs.rmSync(file, { force: true });
    } finally {
      fs.closeSync(mine.fd); // drops the flock
    }
  }
}

/** Opens and flocks `file`, again until the locked file is the one its path names. */
function lockFile(file: string): number {
  for (;;) {
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    try {
      flock(fd, LOCK.EX);
      const locked = fs.fstatSync(fd);
      let now: fs.Stats | undefined;
      try {
        now = fs.statSync(file);
      } catch {
        // removed by the holder we waited for: lock the file that replaces it
      }
      if (now && now.ino === locked.ino && now.dev === locked.dev) return fd;
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    fs.closeSync(fd);
  }
}
