import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { readTar, type TarHeader } from '../../src';

export interface ReadEntry extends TarHeader {
  sha256: string;
}

/** Every entry of a tar in memory, with a hash of its data. */
export async function readAll(tar: Buffer, archive = 'test.tar'): Promise<ReadEntry[]> {
  const out: ReadEntry[] = [];
  for await (const { header, body } of readTar(Readable.from(chunked(tar)), archive)) {
    const h = createHash('sha256');
    for await (const chunk of body) h.update(chunk);
    out.push({ ...header, sha256: h.digest('hex') });
  }
  return out;
}

/** Odd-sized chunks, so headers and data straddle chunk boundaries as they do on a pipe. */
export function* chunked(buf: Buffer, size = 777): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function gnuTar(args: string[], input?: Buffer): Buffer {
  return execFileSync('tar', args, { input, maxBuffer: 1 << 28 });
}

export type Format = 'pax' | 'gnu' | 'oldgnu' | 'ustar' | 'v7';

export const LONG_DIR = `${'L'.repeat(150)}/${'M'.repeat(120)}`;
export const LONG_TARGET = 't'.repeat(180);

/** The tree each format can hold: v7 has no devices or fifos; ustar and v7 no long names or large ids. */
export function makeTree(root: string, format: Format): { src: string; names: string[] } {
  const src = mkdtempSync(path.join(root, `${format}-`));
  const names: string[] = [];
  const add = (name: string): string => (names.push(name), path.join(src, name));
  mkdirSync(add('d'));
  chmodSync(path.join(src, 'd'), 0o2755);
  chownSync(path.join(src, 'd'), 1000, 1001);
  writeFileSync(add('d/f'), 'hello\n');
  chmodSync(path.join(src, 'd/f'), 0o4750);
  utimesSync(path.join(src, 'd/f'), 1_704_067_200.25, 1_704_067_200.123456);
  linkSync(path.join(src, 'd/f'), add('d/f.hard'));
  symlinkSync('f', add('d/sl'));
  writeFileSync(add('empty'), '');
  writeFileSync(add('random'), randomBytes(1500));
  if (format !== 'v7') {
    execFileSync('mkfifo', [add('fifo')]);
    execFileSync('mknod', [add('cdev'), 'c', '1', '3']);
    execFileSync('mknod', [add('bdev'), 'b', '259', '300']);
  }
  if (format !== 'ustar' && format !== 'v7') {
    mkdirSync(path.join(src, LONG_DIR), { recursive: true });
    names.push('L'.repeat(150), LONG_DIR);
    writeFileSync(add(`${LONG_DIR}/file`), 'deep');
    symlinkSync(LONG_TARGET, add('longlink'));
    linkSync(path.join(src, LONG_DIR, 'file'), add('hard-to-long'));
    writeFileSync(add('bigids'), 'x');
    chownSync(path.join(src, 'bigids'), 3_000_000, 4_000_000);
  }
  return { src, names };
}

