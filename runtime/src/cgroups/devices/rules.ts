import type { RuntimeTypes } from '@berth/spec';
import { CgroupConfigError } from '../errors';

/** 'a' = all devices, 'c' = character, 'b' = block. */
export type DeviceType = 'a' | 'c' | 'b';

/** One device cgroup rule. -1 major/minor is the "*" wildcard. */
export interface DeviceRule {
  readonly type: DeviceType;
  readonly major: number;
  readonly minor: number;
  /** A subset of "rwm", in that order. */
  readonly access: string;
  readonly allow: boolean;
}

export const WILDCARD = -1;

/** Converts `linux.resources.devices` as runc's specconv does: type defaults to "a", majors/minors to "*". */
export function deviceRulesFromOci(list: readonly RuntimeTypes.DeviceCgroup[], at: string): DeviceRule[] {
  return list.map((d, i) => {
    const where = `${at}[${i}]`;
    const type = d.type === undefined || d.type === '' ? 'a' : d.type;
    if (type !== 'a' && type !== 'c' && type !== 'b') {
      throw new CgroupConfigError(`${where}.type: invalid device type ${JSON.stringify(type)} (want "a", "c" or "b")`);
    }
    if (typeof d.allow !== 'boolean') throw new CgroupConfigError(`${where}.allow: must be a boolean`);
    if (d.access === undefined || d.access === '') throw new CgroupConfigError(`${where}.access: device access cannot be empty`);
    return {
      type,
      major: devNumber(d.major, `${where}.major`),
      minor: devNumber(d.minor, `${where}.minor`),
      access: normaliseAccess(d.access, `${where}.access`),
      allow: d.allow,
    };
  });
}

function devNumber(v: number | undefined, at: string): number {
  if (v === undefined || v === WILDCARD) return WILDCARD;
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new CgroupConfigError(`${at}: invalid device number ${v}`);
  return v;
}

export function normaliseAccess(access: string, at: string): string {
  for (const ch of access) {
    if (ch !== 'r' && ch !== 'w' && ch !== 'm') throw new CgroupConfigError(`${at}: invalid access ${JSON.stringify(access)} (letters from "rwm")`);
  }
  return ['r', 'w', 'm'].filter((c) => access.includes(c)).join('');
}

/** The line written to devices.allow / devices.deny: "c 1:3 rwm", "a *:* rwm". */
export function cgroupString(r: Pick<DeviceRule, 'type' | 'major' | 'minor' | 'access'>): string {
  const n = (v: number) => (v === WILDCARD ? '*' : String(v));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

/**
 * The devices runc allows in every container after the configured rules
 * (libcontainer/specconv AllowedDevices): mknod of any char/block node, the
 * standard /dev nodes, pty masters and slaves.
 */
export const DEFAULT_ALLOWED_DEVICES: readonly DeviceRule[] = [
  { type: 'c', major: WILDCARD, minor: WILDCARD, access: 'm', allow: true },
  { type: 'b', major: WILDCARD, minor: WILDCARD, access: 'm', allow: true },
  { type: 'c', major: 1, minor: 3, access: 'rwm', allow: true }, // /dev/null
  { type: 'c', major: 1, minor: 8, access: 'rwm', allow: true }, // /dev/random
  { type: 'c', major: 1, minor: 7, access: 'rwm', allow: true }, // /dev/full
  { type: 'c', major: 5, minor: 0, access: 'rwm', allow: true }, // /dev/tty
  { type: 'c', major: 1, minor: 5, access: 'rwm', allow: true }, // /dev/zero
  { type: 'c', major: 1, minor: 9, access: 'rwm', allow: true }, // /dev/urandom
  { type: 'c', major: 136, minor: WILDCARD, access: 'rwm', allow: true }, // /dev/pts/*
  { type: 'c', major: 5, minor: 2, access: 'rwm', allow: true }, // /dev/ptmx
];

/**
 * The full rule list for a container, as runc builds it: the configured
 * rules, then an rwm allow for each `linux.devices` node, then the defaults.
 */
export function containerDeviceRules(
  configured: readonly DeviceRule[] | undefined,
  linuxDevices: readonly RuntimeTypes.LinuxDevice[] = [],
): DeviceRule[] {
  const out: DeviceRule[] = [...(configured ?? [])];
  for (const d of linuxDevices) {
    if ((d.type === 'c' || d.type === 'b' || d.type === 'u') && d.major !== undefined && d.minor !== undefined) {
      out.push({ type: d.type === 'b' ? 'b' : 'c', major: d.major, minor: d.minor, access: 'rwm', allow: true });
    }
  }
  out.push(...DEFAULT_ALLOWED_DEVICES);
  return out;
}
