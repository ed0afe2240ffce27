import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupConfigError } from './errors';

/** A cgroupsPath resolved to a path inside each hierarchy. */
export interface CgroupPath {
  /** Cleaned path; absolute ("/berth/c1") or relative to the caller's own cgroup ("c1"). */
  readonly inner: string;
  readonly relative: boolean;
}

export interface ResolvePathOptions {
  /** The runtime was asked for the systemd cgroup driver (runc's --systemd-cgroup). */
  readonly systemdCgroup?: boolean;
  /** Whether systemd runs on this host; default: /run/systemd/system exists (sd_booted). */
  readonly systemdRunning?: boolean;
}

export const DEFAULT_CGROUP_PARENT = '/berth';

const SYSTEMD_FORM = /^([^:/]*):([^:/]*):([^:/]+)$/;

/**
 * Resolves the config's `linux.cgroupsPath` as runc does: absolute paths are
 * taken from the hierarchy root, relative ones from the caller's own cgroup,
 * an empty one becomes /berth/<id>. `..` can never climb above the root (runc's
 * CleanPath). systemd's "slice:prefix:name" is recognised; without systemd on
 * the host it is refused with a message saying so.
 */
export function resolveCgroupsPath(cgroupsPath: string | undefined, id: string, opts: ResolvePathOptions = {}): CgroupPath {
  const raw = cgroupsPath ?? '';
  const sd = SYSTEMD_FORM.exec(raw);
  if (sd !== null || opts.systemdCgroup === true) {
    if (sd === null) {
      throw new CgroupConfigError(
        `linux.cgroupsPath ${JSON.stringify(raw)}: the systemd cgroup driver expects the form "slice:prefix:name"`,
      );
    }
    const running = opts.systemdRunning ?? fs.existsSync('/run/systemd/system');
    if (!running) {
      throw new CgroupConfigError(
        `linux.cgroupsPath ${JSON.stringify(raw)} is in systemd's "slice:prefix:name" form, but systemd is not running ` +
          `on this host (no /run/systemd/system); use a cgroupfs path such as ${DEFAULT_CGROUP_PARENT}/${id}`,
      );
    }
    const [, slice, prefix, name] = sd as unknown as [string, string, string, string];
    return { inner: path.posix.join(expandSlice(slice === '' ? 'system.slice' : slice, raw), systemdUnit(prefix, name)), relative: false };
  }
  if (raw === '') return { inner: `${DEFAULT_CGROUP_PARENT}/${id}`, relative: false };
  if (raw.includes('\0')) throw new CgroupConfigError('linux.cgroupsPath contains a NUL byte');
  if (raw.startsWith('/')) return { inner: path.posix.normalize(raw).replace(/(.)\/$/, '$1'), relative: false };
  // Relative: clean as if rooted at "/", then drop the root, so "../../x" is "x".
  const rooted = path.posix.resolve('/', raw);
  if (rooted === '/') throw new CgroupConfigError(`linux.cgroupsPath ${JSON.stringify(raw)} names no cgroup`);
  return { inner: rooted.slice(1), relative: true };
}

/** "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", as systemd lays slices out. */
export function expandSlice(slice: string, raw: string): string {
  if (!slice.endsWith('.slice') || slice.includes('/')) {
    throw new CgroupConfigError(`linux.cgroupsPath ${JSON.stringify(raw)}: ${JSON.stringify(slice)} is not a systemd slice name`);
  }
  const base = slice.slice(0, -'.slice'.length);
  if (base === '-') return '/';
  if (base === '' || base.startsWith('-') || base.endsWith('-') || base.includes('--')) {
    throw new CgroupConfigError(`linux.cgroupsPath ${JSON.stringify(raw)}: invalid slice name ${JSON.stringify(slice)}`);
  }
  let out = '';
  let prefix = '';
  for (const part of base.split('-')) {
    prefix = prefix === '' ? part : `${prefix}-${part}`;
    out += `/${prefix}.slice`;
  }
  return out;
}

function systemdUnit(prefix: string, name: string): string {
  if (name.endsWith('.slice')) return name;
  return prefix === '' ? `${name}.scope` : `${prefix}-${name}.scope`;
}
