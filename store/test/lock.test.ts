import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { LockTimeoutError, acquireLock, withLock } from '@berth/store';
import { useTempDir } from './helpers/tmp';

const tmp = useTempDir();

function runChild(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'helpers', 'lock-child.js'), ...args], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

describe('store lock', () => {
  test('serialises read-modify-write across processes: no increment is lost', async () => {
    const lock = path.join(tmp.dir, 'store.lock');
    const counter = path.join(tmp.dir, 'counter');
    writeFileSync(counter, '0');
    const codes = await Promise.all([1, 2, 3].map(() => runChild([lock, counter, '40'])));
    expect(codes).toEqual([0, 0, 0]);
    expect(readFileSync(counter, 'utf8')).toBe('120');
    expect(existsSync(lock)).toBe(false);
  });

  test('a lock left by a dead process is broken', async () => {
    const lock = path.join(tmp.dir, 'store.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(lock, `${dead.stdout} 12345\n`);
    const ran = await withLock(lock, async () => readFileSync(lock, 'utf8'), { timeoutMs: 2000 });
    expect(ran.startsWith(`${process.pid} `)).toBe(true);
  });

  test('a recycled pid (same pid, other start time) does not keep the lock', async () => {
    const lock = path.join(tmp.dir, 'store.lock');
    writeFileSync(lock, `${process.pid} 1\n`);
    await expect(withLock(lock, async () => 'ok', { timeoutMs: 2000 })).resolves.toBe('ok');
  });

  test('a live holder makes others wait, then time out with the holder named', async () => {
    const lock = path.join(tmp.dir, 'store.lock');
    const held = await acquireLock(lock);
    try {
      const err = await withLock(lock, async () => 'never', { timeoutMs: 100 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockTimeoutError);
      expect((err as Error).message).toContain(String(process.pid));
    } finally {
      await held.release();
    }
    await expect(withLock(lock, async () => 'now', { timeoutMs: 100 })).resolves.toBe('now');
  });

  test('the lock is released when the body throws', async () => {
    const lock = path.join(tmp.dir, 'store.lock');
    await expect(withLock(lock, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lock)).toBe(false);
  });
});
