import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError } from './errors';

/** The errno code of a Node fs error, or undefined. */
export function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * Writes one value to a cgroup knob. cgroupfs files must be written in one
 * write(2) without O_CREAT or O_TRUNC semantics mattering, and a knob name must
 * never be a path (a `unified` key like "../x" would escape the cgroup).
 */
export function writeKnob(dir: string, file: string, value: string): void {
  checkKnobName(file);
  const p = path.join(dir, file);
  let fd: number;
  try {
    // libuv adds O_CLOEXEC. A plain test tree needs truncation (cgroupfs ignores offsets).
    fd = fs.openSync(p, knobTestMode.enabled ? fs.constants.O_WRONLY | fs.constants.O_TRUNC : fs.constants.O_WRONLY);
    if (knobTestMode.enabled) knobTestMode.writes.push({ path: p, value });
  } catch (err) {
    throw knobError('open', p, value, err);
  }
  try {
    fs.writeSync(fd, value);
  } catch (err) {
    throw knobError('write', p, value, err);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Unit tests run the setters against a plain directory tree shaped like
 * cgroupfs (as runc's TestMode does): files are truncated on write and every
 * write is recorded in order, since files like devices.allow take a stream
 * of writes. Off in production.
 */
export const knobTestMode: { enabled: boolean; writes: { path: string; value: string }[] } = { enabled: false, writes: [] };

/** Reads a knob, trimmed; throws CgroupError naming the file. */
export function readKnob(dir: string, file: string): string {
  checkKnobName(file);
  const p = path.join(dir, file);
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch (err) {
    throw new CgroupError(`cannot read ${p}: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads a knob, or undefined when the file does not exist. */
export function readKnobIfExists(dir: string, file: string): string | undefined {
  try {
    return readKnob(dir, file);
  } catch (err) {
    if (errCode((err as Error).cause) === 'ENOENT') return undefined;
    throw err;
  }
}

export function knobExists(dir: string, file: string): boolean {
  return fs.existsSync(path.join(dir, file));
}

/** Parses an unsigned counter; "max" (v2) and huge v1 "unlimited" values become U64_MAX. */
export function parseU64(text: string, where: string): bigint {
  const t = text.trim();
  if (t === 'max') return U64_MAX;
  if (/^-\d+$/.test(t)) return 0n; // v1 reports some unset values as negative
  if (!/^\d+$/.test(t)) throw new CgroupError(`cannot parse ${JSON.stringify(t)} as a number in ${where}`);
  return BigInt(t);
}

export const U64_MAX = (1n << 64n) - 1n;

/** Reads an unsigned knob, or 0 when absent. */
export function readU64(dir: string, file: string): bigint {
  const v = readKnobIfExists(dir, file);
  return v === undefined ? 0n : parseU64(v, path.join(dir, file));
}

/** Parses "key value" lines (memory.stat, cpu.stat, memory.events). */
export function readKeyValues(dir: string, file: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const text = readKnobIfExists(dir, file);
  if (text === undefined) return out;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [k, v, extra] = line.split(/\s+/);
    if (k === undefined || v === undefined || extra !== undefined) {
      throw new CgroupError(`malformed line ${JSON.stringify(line)} in ${path.join(dir, file)}`);
    }
    out.set(k, parseU64(v, path.join(dir, file)));
  }
  return out;
}

/** The pids listed in cgroup.procs. */
export function readPids(dir: string): number[] {
  const text = readKnobIfExists(dir, 'cgroup.procs') ?? '';
  return text.split('\n').filter((l) => l !== '').map(Number);
}

export function checkKnobName(file: string): void {
  if (file === '' || file.includes('/') || file === '.' || file === '..' || file.includes('\0')) {
    throw new CgroupError(`invalid cgroup file name ${JSON.stringify(file)}`);
  }
}

function knobError(op: string, p: string, value: string, err: unknown): CgroupError {
  const code = errCode(err);
  const hint = code === 'EBUSY' || code === 'EINVAL' || code === 'ENOSPC' ? ` (${code})` : '';
  const e = new CgroupError(`cannot ${op} ${JSON.stringify(value)} to ${p}${hint}: ${(err as Error).message}`, { cause: err });
  return e;
}

/** Sleeps without holding the event loop. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
