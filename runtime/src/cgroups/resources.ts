import type { RuntimeTypes } from '@berth/spec';
import { CgroupConfigError } from './errors';
import { DeviceRule, deviceRulesFromOci } from './devices/rules';

export interface ThrottleDevice { readonly major: number; readonly minor: number; readonly rate: number }
export interface WeightDevice { readonly major: number; readonly minor: number; readonly weight?: number; readonly leafWeight?: number }
export interface HugepageLimit { readonly pageSize: string; readonly limit: number }
export interface RdmaLimit { readonly hcaHandles?: number; readonly hcaObjects?: number }

/**
 * The OCI `linux.resources`, checked and flattened (runc's configs.Resources).
 * Absent means "leave as is"; -1 means "unlimited" where the kernel knob has one.
 */
export interface Resources {
  readonly memory?: number;
  readonly memoryReservation?: number;
  /** memory+swap, as in the OCI spec and v1 memsw; v2 writes swap-only (swap - memory). */
  readonly memorySwap?: number;
  readonly memorySwappiness?: number;
  readonly oomKillDisable?: boolean;
  readonly checkBeforeUpdate?: boolean;
  readonly cpuShares?: number;
  readonly cpuQuota?: number;
  readonly cpuPeriod?: number;
  readonly cpuRtRuntime?: number;
  readonly cpuRtPeriod?: number;
  readonly cpusetCpus?: string;
  readonly cpusetMems?: string;
  readonly cpuIdle?: number;
  readonly cpuBurst?: number;
  readonly pidsLimit?: number;
  readonly blkioWeight?: number;
  readonly blkioLeafWeight?: number;
  readonly blkioWeightDevice: readonly WeightDevice[];
  readonly blkioThrottleReadBps: readonly ThrottleDevice[];
  readonly blkioThrottleWriteBps: readonly ThrottleDevice[];
  readonly blkioThrottleReadIops: readonly ThrottleDevice[];
  readonly blkioThrottleWriteIops: readonly ThrottleDevice[];
  readonly hugepageLimits: readonly HugepageLimit[];
  readonly netClsClassid?: number;
  readonly netPrioIfpriomap: readonly { readonly name: string; readonly priority: number }[];
  readonly rdma: Readonly<Record<string, RdmaLimit>>;
  readonly unified?: Readonly<Record<string, string>>;
  /** Device rules in the order given; absent leaves the device policy as it is. */
  readonly devices?: readonly DeviceRule[];
}

export interface FromOciResult {
  readonly resources: Resources;
  /** Settings runc also ignores with a warning (kernel memory, useHierarchy). */
  readonly warnings: readonly string[];
}

const F = 'linux.resources';

/**
 * Checks and converts OCI resources. Values that cannot be right on any
 * kernel are refused here with the field's JSON path; values a given cgroup
 * version cannot express are refused by that version's manager.
 */
export function resourcesFromOci(r: RuntimeTypes.LinuxResources | undefined): FromOciResult {
  const warnings: string[] = [];
  const res: { -readonly [K in keyof Resources]: Resources[K] } = {
    blkioWeightDevice: [], blkioThrottleReadBps: [], blkioThrottleWriteBps: [], blkioThrottleReadIops: [],
    blkioThrottleWriteIops: [], hugepageLimits: [], netPrioIfpriomap: [], rdma: {},
  };
  if (r === undefined) return { resources: res, warnings };

  const m = r.memory;
  if (m !== undefined) {
    res.memory = optInt(m.limit, `${F}.memory.limit`, -1);
    res.memoryReservation = optInt(m.reservation, `${F}.memory.reservation`, -1);
    res.memorySwap = optInt(m.swap, `${F}.memory.swap`, -1);
    if (m.swappiness !== undefined) {
      const s = int(m.swappiness, `${F}.memory.swappiness`, -1);
      if (s > 100) throw new CgroupConfigError(`${F}.memory.swappiness: invalid value ${s} (valid range is 0-100)`);
      if (s !== -1) res.memorySwappiness = s;
    }
    if (m.disableOOMKiller === true) res.oomKillDisable = true;
    if (m.checkBeforeUpdate === true) res.checkBeforeUpdate = true;
    if (m.kernel !== undefined || m.kernelTCP !== undefined) {
      warnings.push(`${F}.memory.kernel and kernelTCP are ignored: kernel memory limits are deprecated and unsupported by the kernel`);
    }
    if (m.useHierarchy !== undefined) warnings.push(`${F}.memory.useHierarchy is ignored (always hierarchical on current kernels)`);
  }

  const c = r.cpu;
  if (c !== undefined) {
    res.cpuShares = optInt(c.shares, `${F}.cpu.shares`, 0);
    res.cpuQuota = optInt(c.quota, `${F}.cpu.quota`, -1);
    res.cpuPeriod = optInt(c.period, `${F}.cpu.period`, 0);
    res.cpuRtRuntime = optInt(c.realtimeRuntime, `${F}.cpu.realtimeRuntime`, -1);
    res.cpuRtPeriod = optInt(c.realtimePeriod, `${F}.cpu.realtimePeriod`, 0);
    res.cpuBurst = optInt(c.burst, `${F}.cpu.burst`, 0);
    res.cpuIdle = optInt(c.idle, `${F}.cpu.idle`, 0);
    if (c.cpus !== undefined && c.cpus !== '') res.cpusetCpus = cpuList(c.cpus, `${F}.cpu.cpus`);
    if (c.mems !== undefined && c.mems !== '') res.cpusetMems = cpuList(c.mems, `${F}.cpu.mems`);
    if (res.cpuShares === 0) delete res.cpuShares;
    if (res.cpuQuota === 0) delete res.cpuQuota;
    if (res.cpuPeriod === 0) delete res.cpuPeriod;
    if (res.cpuRtRuntime === 0) delete res.cpuRtRuntime;
    if (res.cpuRtPeriod === 0) delete res.cpuRtPeriod;
    if (res.cpuIdle !== undefined && res.cpuIdle > 1) throw new CgroupConfigError(`${F}.cpu.idle: must be 0 or 1, got ${res.cpuIdle}`);
  }

  if (r.pids !== undefined && r.pids.limit !== undefined) {
    const l = int(r.pids.limit, `${F}.pids.limit`, Number.MIN_SAFE_INTEGER);
    // runc: 0 leaves the limit alone, a negative value means "max".
    if (l !== 0) res.pidsLimit = l < 0 ? -1 : l;
  }

  const b = r.blockIO;
  if (b !== undefined) {
    if (b.weight !== undefined && b.weight !== 0) res.blkioWeight = weight(b.weight, `${F}.blockIO.weight`);
    if (b.leafWeight !== undefined && b.leafWeight !== 0) res.blkioLeafWeight = weight(b.leafWeight, `${F}.blockIO.leafWeight`);
    res.blkioWeightDevice = (b.weightDevice ?? []).map((d, i) => {
      const at = `${F}.blockIO.weightDevice[${i}]`;
      return {
        ...devNum(d, at),
        ...(d.weight !== undefined && d.weight !== 0 ? { weight: weight(d.weight, `${at}.weight`) } : {}),
        ...(d.leafWeight !== undefined && d.leafWeight !== 0 ? { leafWeight: weight(d.leafWeight, `${at}.leafWeight`) } : {}),
      };
    });
    const throttle = (list: RuntimeTypes.BlockIODeviceThrottle[] | undefined, name: string): ThrottleDevice[] =>
      (list ?? []).map((d, i) => ({ ...devNum(d, `${F}.blockIO.${name}[${i}]`), rate: int(d.rate ?? 0, `${F}.blockIO.${name}[${i}].rate`, 0) }));
    res.blkioThrottleReadBps = throttle(b.throttleReadBpsDevice, 'throttleReadBpsDevice');
    res.blkioThrottleWriteBps = throttle(b.throttleWriteBpsDevice, 'throttleWriteBpsDevice');
    res.blkioThrottleReadIops = throttle(b.throttleReadIOPSDevice, 'throttleReadIOPSDevice');
    res.blkioThrottleWriteIops = throttle(b.throttleWriteIOPSDevice, 'throttleWriteIOPSDevice');
  }

  res.hugepageLimits = (r.hugepageLimits ?? []).map((h, i) => {
    const at = `${F}.hugepageLimits[${i}]`;
    if (!/^\d+[KMGT]?B$/.test(h.pageSize)) throw new CgroupConfigError(`${at}.pageSize: invalid hugepage size ${JSON.stringify(h.pageSize)}`);
    return { pageSize: h.pageSize, limit: int(h.limit, `${at}.limit`, 0) };
  });

  if (r.network !== undefined) {
    if (r.network.classID !== undefined && r.network.classID !== 0) {
      res.netClsClassid = int(r.network.classID, `${F}.network.classID`, 0);
    }
    res.netPrioIfpriomap = (r.network.priorities ?? []).map((p, i) => {
      if (!/^[^\s/]{1,15}$/.test(p.name)) throw new CgroupConfigError(`${F}.network.priorities[${i}].name: invalid interface name ${JSON.stringify(p.name)}`);
      return { name: p.name, priority: int(p.priority, `${F}.network.priorities[${i}].priority`, 0) };
    });
  }

  const rdma: Record<string, RdmaLimit> = {};
  for (const [dev, lim] of Object.entries(r.rdma ?? {})) {
    if (!/^[\w.-]+$/.test(dev)) throw new CgroupConfigError(`${F}.rdma: invalid device name ${JSON.stringify(dev)}`);
    rdma[dev] = {
      ...(lim.hcaHandles !== undefined ? { hcaHandles: int(lim.hcaHandles, `${F}.rdma.${dev}.hcaHandles`, 0) } : {}),
      ...(lim.hcaObjects !== undefined ? { hcaObjects: int(lim.hcaObjects, `${F}.rdma.${dev}.hcaObjects`, 0) } : {}),
    };
  }

  res.rdma = rdma;

  if (r.unified !== undefined) {
    const u: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.unified)) {
      if (typeof v !== 'string') throw new CgroupConfigError(`${F}.unified.${k}: value must be a string`);
      if (k.includes('/') || k === '' || k === '.' || k === '..') {
        throw new CgroupConfigError(`${F}.unified: resource ${JSON.stringify(k)} must be a file name (no slashes)`);
      }
      u[k] = v;
    }
    res.unified = u;
  }

  if (r.devices !== undefined) res.devices = deviceRulesFromOci(r.devices, `${F}.devices`);

  for (const k of Object.keys(res) as (keyof Resources)[]) if (res[k] === undefined) delete res[k];
  return { resources: res, warnings };
}

function int(v: unknown, at: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new CgroupConfigError(`${at}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function optInt(v: unknown, at: string, min: number): number | undefined {
  return v === undefined || v === null ? undefined : int(v, at, min);
}

function weight(v: number, at: string): number {
  const w = int(v, at, 0);
  if (w < 10 || w > 1000) throw new CgroupConfigError(`${at}: blkio weight ${w} is out of range 10-1000`);
  return w;
}

function devNum(d: { major: number; minor: number }, at: string): { major: number; minor: number } {
  return { major: int(d.major, `${at}.major`, 0), minor: int(d.minor, `${at}.minor`, 0) };
}

/** cpuset lists: "0-3,5", "0". */
function cpuList(s: string, at: string): string {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(s.trim())) throw new CgroupConfigError(`${at}: invalid list ${JSON.stringify(s)}`);
  return s.trim();
}
