import type { RuntimeTypes } from '@berth/spec';
import { CgroupConfigError } from './errors';
import { resourcesFromOci, type Resources } from './resources';

/*
 * `update`'s input, as runc takes it: either a LinuxResources JSON document
 * (--resources FILE or -), or flags. Both end as the same checked Resources.
 */

/** The flags `runc update` has, by option name (values as typed). */
export interface UpdateFlags {
  blkioWeight?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuShares?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pidsLimit?: string;
}

export interface UpdateRequest {
  readonly resources: Resources;
  readonly warnings: readonly string[];
}

/**
 * Bytes from "64m", "1g", "512k", "1024", "1.5GiB": binary units as runc's
 * RAMInBytes reads them; "-1" means unlimited.
 */
export function parseBytes(text: string, flag: string): number {
  if (text.trim() === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(text.trim());
  if (m === null) throw new CgroupConfigError(`${flag}: invalid size ${JSON.stringify(text)} (expected bytes, or a number with k, m, g, t or p)`);
  const unit = m[2] === undefined ? 0 : 'kmgtp'.indexOf(m[2].toLowerCase()) + 1;
  const value = Math.floor(Number(m[1]) * 1024 ** unit);
  if (!Number.isSafeInteger(value)) throw new CgroupConfigError(`${flag}: size ${JSON.stringify(text)} is too large`);
  return value;
}

function parseInteger(text: string, flag: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new CgroupConfigError(`${flag}: invalid number ${JSON.stringify(text)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new CgroupConfigError(`${flag}: ${text} is out of range`);
  return n;
}

/** The LinuxResources the flags describe (only what was given). */
export function resourcesFromFlags(f: UpdateFlags): RuntimeTypes.LinuxResources {
  const r: RuntimeTypes.LinuxResources = {};
  const memory: NonNullable<RuntimeTypes.LinuxResources['memory']> = {};
  if (f.memory !== undefined) memory.limit = parseBytes(f.memory, '--memory');
  if (f.memoryReservation !== undefined) memory.reservation = parseBytes(f.memoryReservation, '--memory-reservation');
  if (f.memorySwap !== undefined) memory.swap = parseBytes(f.memorySwap, '--memory-swap');
  if (Object.keys(memory).length > 0) r.memory = memory;
  const cpu: NonNullable<RuntimeTypes.LinuxResources['cpu']> = {};
  if (f.cpuShares !== undefined) cpu.shares = parseInteger(f.cpuShares, '--cpu-share');
  if (f.cpuQuota !== undefined) cpu.quota = parseInteger(f.cpuQuota, '--cpu-quota');
  if (f.cpuPeriod !== undefined) cpu.period = parseInteger(f.cpuPeriod, '--cpu-period');
  if (f.cpuRtRuntime !== undefined) cpu.realtimeRuntime = parseInteger(f.cpuRtRuntime, '--cpu-rt-runtime');
  if (f.cpuRtPeriod !== undefined) cpu.realtimePeriod = parseInteger(f.cpuRtPeriod, '--cpu-rt-period');
  if (f.cpusetCpus !== undefined) cpu.cpus = f.cpusetCpus;
  if (f.cpusetMems !== undefined) cpu.mems = f.cpusetMems;
  if (Object.keys(cpu).length > 0) r.cpu = cpu;
  if (f.pidsLimit !== undefined) r.pids = { limit: parseInteger(f.pidsLimit, '--pids-limit') };
  if (f.blkioWeight !== undefined) r.blockIO = { weight: parseInteger(f.blkioWeight, '--blkio-weight') };
  return r;
}

/**
 * Parses a --resources document. runc reads it as LinuxResources and applies
 * the limits it knows; device rules stay as create set them (said in a warning).
 */
export function resourcesFromJson(text: string, source: string): RuntimeTypes.LinuxResources {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CgroupConfigError(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new CgroupConfigError(`${source}: expected a JSON object of linux.resources`);
  return doc as RuntimeTypes.LinuxResources;
}

/** Checks the requested resources; the fields update leaves alone are dropped with a warning. */
export function updateRequest(oci: RuntimeTypes.LinuxResources): UpdateRequest {
  const { resources, warnings } = resourcesFromOci(oci);
  const out = { ...resources };
  const notes = [...warnings];
  if (out.devices !== undefined) {
    delete (out as { devices?: unknown }).devices;
    notes.push('linux.resources.devices: update does not change device rules (as runc); they stay as create set them');
  }
  return { resources: out, warnings: notes };
}
