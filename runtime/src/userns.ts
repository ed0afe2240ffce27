import * as fs from 'node:fs';
import type { RuntimeTypes } from '@berth/spec';
import type { LaunchPlan, PlanMount } from '@berth/sys';
import { ConfigError } from './errors';

/**
 * User and time namespaces. The process is cloned into its new user
 * namespace and waits (the launch's onPid step) while the runtime, outside,
 * writes its id maps: only a process in the parent namespace may write them.
 */

type IdMap = RuntimeTypes.IDMapping;

/** uid_map/gid_map text: one "inside outside count" line per mapping. */
export function idMapText(maps: IdMap[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

function checkMaps(maps: IdMap[], field: string): void {
  if (maps.length > 340) throw new ConfigError(`${field}: ${maps.length} mappings, the kernel takes at most 340`);
  const sorted = [...maps].map((m, i) => ({ ...m, i })).sort((a, b) => a.containerID - b.containerID);
  sorted.forEach((m, k) => {
    if (m.size < 1) throw new ConfigError(`${field}[${m.i}].size: must be at least 1`);
    if (m.containerID + m.size > 2 ** 32 || m.hostID + m.size > 2 ** 32) throw new ConfigError(`${field}[${m.i}]: the range passes 2^32`);
    const prev = sorted[k - 1];
    if (prev && prev.containerID + prev.size > m.containerID) throw new ConfigError(`${field}[${m.i}]: overlaps ${field}[${prev.i}]`);
  });
  if (!maps.some((m) => m.containerID === 0)) {
    // As runc: the init becomes root in the namespace before anything else.
    throw new ConfigError(`${field}: user namespaces enabled, but no root user mapping found in config`);
  }
}

/**
 * Checks linux.uidMappings/gidMappings against the namespaces: mappings are
 * needed for a new user namespace and meaningless without one.
 */
export function checkIdMappings(linux: RuntimeTypes.Linux, newUserNs: boolean): void {
  const uid = linux.uidMappings ?? [];
  const gid = linux.gidMappings ?? [];
  if (!newUserNs) {
    if (uid.length || gid.length) throw new ConfigError('$.linux.uidMappings: id mappings need a new user namespace in $.linux.namespaces');
    return;
  }
  if (!uid.length) throw new ConfigError('$.linux.uidMappings: a new user namespace needs uid mappings');
  if (!gid.length) throw new ConfigError('$.linux.gidMappings: a new user namespace needs gid mappings');
  checkMaps(uid, '$.linux.uidMappings');
  checkMaps(gid, '$.linux.gidMappings');
}

/**
 * Writes the id maps of `pid`'s user namespace. An unprivileged runtime may
 * only map its own ids and must deny setgroups first (user_namespaces(7)).
 */
export function writeIdMaps(pid: number, uid: IdMap[], gid: IdMap[]): void {
  const write = (file: string, text: string) => {
    try {
      fs.writeFileSync(`/proc/${pid}/${file}`, text);
    } catch (err) {
      throw new ConfigError(`writing /proc/${pid}/${file} (${JSON.stringify(text.trim())}) failed: ${(err as Error).message}`);
    }
  };
  write('uid_map', idMapText(uid));
  if (process.geteuid?.() !== 0) write('setgroups', 'deny');
  write('gid_map', idMapText(gid));
}

/** Maps `pid`'s new user namespace when the config makes one (the launch's onPid step, before "go"). */
export function mapUserNamespace(config: RuntimeTypes.Spec, pid: number): void {
  const linux = config.linux ?? {};
  if (!(linux.namespaces ?? []).some((n) => n.type === 'user' && !n.path)) return;
  writeIdMaps(pid, linux.uidMappings ?? [], linux.gidMappings ?? []);
}

/**
 * An idmapped bind mount: the mount's own uid/gidMappings, or with the
 * `idmap`/`ridmap` option alone the container's user namespace maps.
 * `ridmap` maps the submounts of an rbind too.
 */
export function idmapOf(m: RuntimeTypes.Mount, at: string, option: string | undefined, bind: boolean, linux: RuntimeTypes.Linux): PlanMount['idmap'] {
  const own = Boolean(m.uidMappings?.length || m.gidMappings?.length);
  if (!own && option === undefined) return undefined;
  if (!bind) throw new ConfigError(`${at}: idmapped mounts must be bind mounts`);
  let uid = m.uidMappings ?? [];
  let gid = m.gidMappings ?? [];
  if (!own) {
    if (!(linux.namespaces ?? []).some((n) => n.type === 'user')) {
      throw new ConfigError(`${at}.options: ${option} without uidMappings/gidMappings needs the container's user namespace`);
    }
    uid = linux.uidMappings ?? [];
    gid = linux.gidMappings ?? [];
  }
  if (!uid.length) throw new ConfigError(`${at}.uidMappings: an idmapped mount needs uid mappings`);
  if (!gid.length) throw new ConfigError(`${at}.gidMappings: an idmapped mount needs gid mappings`);
  const strip = (maps: RuntimeTypes.IDMapping[]) => maps.map(({ containerID, hostID, size }) => ({ containerID, hostID, size }));
  return { uidMappings: strip(uid), gidMappings: strip(gid), recursive: option === 'ridmap' };
}

const CLOCKS: Record<string, number> = { monotonic: 1, boottime: 7 };

/** linux.timeOffsets for a new time namespace (the kernel applies them before its first process). */
export function timeOffsets(linux: RuntimeTypes.Linux, newTimeNs: boolean): LaunchPlan['timeOffsets'] {
  const offsets = linux.timeOffsets;
  if (!offsets || Object.keys(offsets).length === 0) return undefined;
  if (!newTimeNs) throw new ConfigError('$.linux.timeOffsets: offsets need a new time namespace in $.linux.namespaces');
  return Object.entries(offsets).map(([name, value]) => {
    const clock = CLOCKS[name];
    if (clock === undefined) throw new ConfigError(`$.linux.timeOffsets.${name}: unknown clock (monotonic or boottime)`);
    const v = (value ?? {}) as RuntimeTypes.BoottimeObject;
    const secs = v.secs ?? 0;
    const nanosecs = v.nanosecs ?? 0;
    if (!Number.isSafeInteger(secs)) throw new ConfigError(`$.linux.timeOffsets.${name}.secs: ${secs} is not an integer`);
    if (!Number.isInteger(nanosecs) || nanosecs < 0 || nanosecs > 999_999_999) {
      throw new ConfigError(`$.linux.timeOffsets.${name}.nanosecs: ${nanosecs} is not within 0..999999999`);
    }
    return { clock, secs: BigInt(secs), nanosecs };
  });
}
