/**
 * A cross-process lock file with flock-like use (`withLock`), built from
 * O_EXCL because Node has no flock and @berth/sys exposes no fcntl lock.
 *
 * The file holds `<pid> <process start time>`; the start time (from
 * /proc/<pid>/stat) tells a live holder from a recycled pid. A lock whose
 * holder is gone is stale and may be broken. Breaking is itself serialised
 * by a second O_EXCL file (`<lock>.break`), and the breaker re-checks, while
 * holding it, that the lock file is still the same inode it judged stale;
 * since nobody can create the lock while that inode exists, two breakers can
 * never remove a fresh lock. Holding the break file lasts microseconds; a
 * break file whose holder is dead is removed directly.
 */
import { promises as fs, readFileSync } from 'node:fs';
import { LockTimeoutError } from './errors';

export interface LockOptions {
  /** Give up after this long (default 60 s). */
  readonly timeoutMs?: number;
}

export interface HeldLock {
  release(): Promise<void>;
}

/** Start time of a process in clock ticks since boot; undefined if it does not exist. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and parentheses: fields restart after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

const SELF = `${process.pid} ${processStartTime(process.pid) ?? '0'}`;

function holderAlive(content: string): boolean {
  const [pid, start] = content.trim().split(' ');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  const actual = processStartTime(n);
  return actual !== undefined && (start === undefined || start === actual);
}

async function tryCreate(file: string): Promise<boolean> {
  try {
    const fh = await fs.open(file, 'wx', 0o600);
    try {
      await fh.writeFile(`${SELF}\n`);
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

interface Holder {
  content: string;
  ino: number;
  mtimeMs: number;
}

/** A holder is stale when its process is gone, or when it stayed empty (crash between open and write) for 10 s. */
function isStale(h: Holder): boolean {
  if (h.content === '') return Date.now() - h.mtimeMs > 10_000;
  return !holderAlive(h.content);
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    const fh = await fs.open(file, 'r');
    try {
      const st = await fh.stat();
      const content = await fh.readFile('utf8');
      return { content, ino: st.ino, mtimeMs: st.mtimeMs };
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Removes `file` if it is still the stale inode `ino`; serialised through `<file>.break`. */
async function breakStale(file: string, ino: number): Promise<void> {
  const breaker = `${file}.break`;
  if (!(await tryCreate(breaker))) {
    const other = await readHolder(breaker);
    if (other && isStale(other)) await fs.rm(breaker, { force: true });
    return;
  }
  try {
    const st = await fs.lstat(file).catch(() => undefined);
    if (st && st.ino === ino) await fs.unlink(file);
  } finally {
    await fs.rm(breaker, { force: true });
  }
}

export async function acquireLock(file: string, options: LockOptions = {}): Promise<HeldLock> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let delay = 2;
  for (;;) {
    if (await tryCreate(file)) {
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await fs.rm(file, { force: true });
        },
      };
    }
    const holder = await readHolder(file);
    if (holder && isStale(holder)) {
      await breakStale(file, holder.ino);
      continue;
    }
    if (Date.now() >= deadline) throw new LockTimeoutError(file, holder?.content.trim() || 'another process');
    // waiting for another process to finish; a short, growing back-off
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 50);
  }
}

/** Runs `fn` while holding the lock file; releases it on every path. */
export async function withLock<T>(file: string, fn: () => Promise<T>, options?: LockOptions): Promise<T> {
  const held = await acquireLock(file, options);
  try {
    return await fn();
  } finally {
    await held.release();
  }
}
