import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupConfigError, CgroupError } from '../errors';
import { errCode, knobExists, knobTestMode, readKnob, readU64, writeKnob } from '../fs';
import { DeviceEmulator } from '../devices/emulator';
import { cgroupString } from '../devices/rules';
import type { Resources } from '../resources';

/*
 * cgroup v1 knobs, written in the order and with the fallbacks runc's
 * libcontainer/cgroups/fs uses, so a config behaves the same under both.
 */

const causeCode = (err: unknown) => errCode((err as Error).cause);

export function setCpuset(dir: string, r: Resources): void {
  if (r.cpusetCpus !== undefined) writeKnob(dir, 'cpuset.cpus', r.cpusetCpus);
  if (r.cpusetMems !== undefined) writeKnob(dir, 'cpuset.mems', r.cpusetMems);
}

/**
 * A new v1 cpuset cgroup starts with empty cpus and mems, and a task cannot
 * join it until they are set: copy them down from the parent at every level,
 * as runc's cpuset ApplyDir does.
 */
export function ensureCpusetInherited(mount: string, dir: string): void {
  const rel = path.relative(mount, dir);
  let cur = mount;
  for (const part of rel === '' ? [] : rel.split('/')) {
    const parent = cur;
    cur = path.join(cur, part);
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if (readKnob(cur, file) === '') writeKnob(cur, file, readKnob(parent, file));
    }
  }
}

export function setDevices(dir: string, r: Resources): void {
  if (r.devices === undefined) return;
  const current = DeviceEmulator.fromList(readKnob(dir, 'devices.list'));
  const target = DeviceEmulator.fromRules(r.devices);
  for (const rule of current.transition(target)) {
    writeKnob(dir, rule.allow ? 'devices.allow' : 'devices.deny', cgroupString(rule));
  }
  // A plain test tree has no kernel behind devices.list (runc skips this check in tests too).
  if (knobTestMode.enabled) return;
  // Safety check (runc does the same): the kernel must now hold exactly the
  // requested allow list, or at least be in the requested mode.
  const after = DeviceEmulator.fromList(readKnob(dir, 'devices.list'));
  if (!target.isBlacklist && !after.equals(target)) {
    throw new CgroupError(`${path.join(dir, 'devices.list')} does not match the requested device rules after writing them`);
  }
  if (target.isBlacklist !== after.isBlacklist) {
    throw new CgroupError(`${path.join(dir, 'devices.list')} is not in the requested ${target.isBlacklist ? 'allow-all' : 'deny-all'} mode`);
  }
}

export function setMemory(dir: string, r: Resources): void {
  checkMemoryUsage(dir, r, 'memory.usage_in_bytes');
  let memory = r.memory ?? 0;
  let swap = r.memorySwap ?? 0;
  // Unlimited memory with swap left unset means unlimited swap too (when swap accounting exists).
  if (memory === -1 && swap === 0 && knobExists(dir, 'memory.memsw.limit_in_bytes')) swap = -1;
  if (memory !== 0 && swap !== 0) {
    // The kernel requires memory <= memory+swap at every step, so the order of
    // the two writes depends on whether the limits grow or shrink.
    const cur = readU64(dir, 'memory.limit_in_bytes');
    if (swap === -1 || cur < BigInt(swap)) {
      setSwap(dir, swap);
      setMemoryLimit(dir, memory);
      memory = 0;
      swap = 0;
    }
  }
  setMemoryLimit(dir, memory);
  setSwap(dir, swap);
  if (r.memoryReservation !== undefined && r.memoryReservation !== 0) {
    writeKnob(dir, 'memory.soft_limit_in_bytes', String(r.memoryReservation));
  }
  if (r.oomKillDisable === true) writeKnob(dir, 'memory.oom_control', '1');
  if (r.memorySwappiness !== undefined) writeKnob(dir, 'memory.swappiness', String(r.memorySwappiness));
}

function setMemoryLimit(dir: string, limit: number): void {
  if (limit === 0) return;
  try {
    writeKnob(dir, 'memory.limit_in_bytes', String(limit));
  } catch (err) {
    if (causeCode(err) === 'EBUSY') {
      const usage = readU64(dir, 'memory.usage_in_bytes');
      const peak = readU64(dir, 'memory.max_usage_in_bytes');
      throw new CgroupError(`unable to set memory limit to ${limit} (current usage: ${usage}, peak usage: ${peak})`, { cause: err });
    }
    throw err;
  }
}

function setSwap(dir: string, swap: number): void {
  if (swap === 0) return;
  if (!knobExists(dir, 'memory.memsw.limit_in_bytes')) {
    throw new CgroupConfigError('linux.resources.memory.swap: this kernel has no swap accounting (memory.memsw.limit_in_bytes is missing)');
  }
  writeKnob(dir, 'memory.memsw.limit_in_bytes', String(swap));
}

/** memory.checkBeforeUpdate: refuse a limit below what the cgroup already uses. */
export function checkMemoryUsage(dir: string, r: Resources, usageFile: string): void {
  if (r.checkBeforeUpdate !== true || r.memory === undefined || r.memory <= 0) return;
  const usage = readU64(dir, usageFile);
  if (BigInt(r.memory) < usage) throw new CgroupConfigError(`rejecting memory limit ${r.memory} below usage ${usage}`);
}

export function setCpu(dir: string, r: Resources): void {
  if (r.cpuShares !== undefined) {
    writeKnob(dir, 'cpu.shares', String(r.cpuShares));
    // The kernel clamps shares silently; read back and say so, like runc.
    const got = Number(readU64(dir, 'cpu.shares'));
    if (r.cpuShares > got) throw new CgroupConfigError(`linux.resources.cpu.shares: the maximum allowed cpu-shares is ${got}`);
    if (r.cpuShares < got) throw new CgroupConfigError(`linux.resources.cpu.shares: the minimum allowed cpu-shares is ${got}`);
  }
  // A shorter period can be refused (EINVAL) while the old quota still
  // applies; then write the quota first and the period after it.
  let period: string | undefined;
  if (r.cpuPeriod !== undefined) {
    period = String(r.cpuPeriod);
    try {
      writeKnob(dir, 'cpu.cfs_period_us', period);
      period = undefined;
    } catch (err) {
      if (causeCode(err) !== 'EINVAL' || r.cpuQuota === undefined) throw err;
    }
  }
  let burst: string | undefined;
  if (r.cpuBurst !== undefined) {
    burst = String(r.cpuBurst);
    if (!knobExists(dir, 'cpu.cfs_burst_us')) {
      throw new CgroupConfigError('linux.resources.cpu.burst: this kernel has no cpu.cfs_burst_us');
    }
    try {
      writeKnob(dir, 'cpu.cfs_burst_us', burst);
      burst = undefined;
    } catch (err) {
      if (causeCode(err) !== 'EINVAL' || r.cpuQuota === undefined) throw err;
    }
  }
  if (r.cpuQuota !== undefined) {
    writeKnob(dir, 'cpu.cfs_quota_us', String(r.cpuQuota));
    if (period !== undefined) writeKnob(dir, 'cpu.cfs_period_us', period);
    if (burst !== undefined) writeKnob(dir, 'cpu.cfs_burst_us', burst);
  }
  if (r.cpuIdle !== undefined) writeKnob(dir, 'cpu.idle', String(r.cpuIdle));
  setRtSched(dir, r);
}

function setRtSched(dir: string, r: Resources): void {
  let period: string | undefined;
  if (r.cpuRtPeriod !== undefined) {
    period = String(r.cpuRtPeriod);
    try {
      writeKnob(dir, 'cpu.rt_period_us', period);
      period = undefined;
    } catch (err) {
      if (causeCode(err) !== 'EINVAL' || r.cpuRtRuntime === undefined) throw err;
    }
  }
  if (r.cpuRtRuntime !== undefined) {
    writeKnob(dir, 'cpu.rt_runtime_us', String(r.cpuRtRuntime));
    if (period !== undefined) writeKnob(dir, 'cpu.rt_period_us', period);
  }
}

export function setPids(dir: string, r: Resources): void {
  if (r.pidsLimit === undefined) return;
  writeKnob(dir, 'pids.max', r.pidsLimit < 0 ? 'max' : String(r.pidsLimit));
}

export function setBlkio(dir: string, r: Resources): void {
  // CFQ's blkio.weight is gone on current kernels; BFQ's files replace it.
  const [weightFile, weightDeviceFile] = knobExists(dir, 'blkio.weight')
    ? ['blkio.weight', 'blkio.weight_device']
    : ['blkio.bfq.weight', 'blkio.bfq.weight_device'];
  const needWeight = r.blkioWeight !== undefined || r.blkioWeightDevice.some((d) => d.weight !== undefined);
  if (needWeight && !knobExists(dir, weightFile)) {
    throw new CgroupConfigError(
      'linux.resources.blockIO.weight: the blkio controller has neither blkio.weight nor blkio.bfq.weight (no CFQ or BFQ I/O scheduler)',
    );
  }
  if (r.blkioWeight !== undefined) writeKnob(dir, weightFile, String(r.blkioWeight));
  if (r.blkioLeafWeight !== undefined) writeKnob(dir, 'blkio.leaf_weight', String(r.blkioLeafWeight));
  for (const d of r.blkioWeightDevice) {
    if (d.weight !== undefined) writeKnob(dir, weightDeviceFile, `${d.major}:${d.minor} ${d.weight}`);
    if (d.leafWeight !== undefined) writeKnob(dir, 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`);
  }
  const throttle = (file: string, list: Resources['blkioThrottleReadBps']) => {
    for (const d of list) writeKnob(dir, file, `${d.major}:${d.minor} ${d.rate}`);
  };
  throttle('blkio.throttle.read_bps_device', r.blkioThrottleReadBps);
  throttle('blkio.throttle.write_bps_device', r.blkioThrottleWriteBps);
  throttle('blkio.throttle.read_iops_device', r.blkioThrottleReadIops);
  throttle('blkio.throttle.write_iops_device', r.blkioThrottleWriteIops);
}

/** hugetlb.<size>.limit_in_bytes, and the .rsvd variant where the kernel has it. */
export function setHugetlb(dir: string, r: Resources): void {
  let skipRsvd = false;
  for (const h of r.hugepageLimits) {
    const prefix = `hugetlb.${h.pageSize}`;
    if (!knobExists(dir, `${prefix}.limit_in_bytes`)) {
      throw new CgroupConfigError(`linux.resources.hugepageLimits: page size ${h.pageSize} is not supported by this kernel`);
    }
    writeKnob(dir, `${prefix}.limit_in_bytes`, String(h.limit));
    if (skipRsvd) continue;
    if (knobExists(dir, `${prefix}.rsvd.limit_in_bytes`)) writeKnob(dir, `${prefix}.rsvd.limit_in_bytes`, String(h.limit));
    else skipRsvd = true;
  }
}

export function setNetCls(dir: string, r: Resources): void {
  if (r.netClsClassid !== undefined) writeKnob(dir, 'net_cls.classid', String(r.netClsClassid));
}

export function setNetPrio(dir: string, r: Resources): void {
  for (const p of r.netPrioIfpriomap) writeKnob(dir, 'net_prio.ifpriomap', `${p.name} ${p.priority}`);
}

/** rdma.max takes one device per write: "mlx4_0 hca_handle=2 hca_object=2000". */
export function setRdma(dir: string, r: Resources): void {
  for (const [dev, lim] of Object.entries(r.rdma)) {
    let line = dev;
    if (lim.hcaHandles !== undefined) line += ` hca_handle=${lim.hcaHandles}`;
    if (lim.hcaObjects !== undefined) line += ` hca_object=${lim.hcaObjects}`;
    writeKnob(dir, 'rdma.max', line);
  }
}

/** Whether any setting for a controller is present (to refuse missing controllers by name). */
export function wants(r: Resources): Record<string, string | undefined> {
  const f = 'linux.resources';
  return {
    cpuset: r.cpusetCpus !== undefined ? `${f}.cpu.cpus` : r.cpusetMems !== undefined ? `${f}.cpu.mems` : undefined,
    devices: r.devices !== undefined ? `${f}.devices` : undefined,
    memory:
      r.memory !== undefined || r.memoryReservation !== undefined || r.memorySwap !== undefined ||
      r.memorySwappiness !== undefined || r.oomKillDisable === true ? `${f}.memory` : undefined,
    cpu:
      r.cpuShares !== undefined || r.cpuQuota !== undefined || r.cpuPeriod !== undefined || r.cpuBurst !== undefined ||
      r.cpuIdle !== undefined || r.cpuRtPeriod !== undefined || r.cpuRtRuntime !== undefined ? `${f}.cpu` : undefined,
    pids: r.pidsLimit !== undefined ? `${f}.pids` : undefined,
    blkio:
      r.blkioWeight !== undefined || r.blkioLeafWeight !== undefined || r.blkioWeightDevice.length > 0 ||
      r.blkioThrottleReadBps.length + r.blkioThrottleWriteBps.length + r.blkioThrottleReadIops.length + r.blkioThrottleWriteIops.length > 0
        ? `${f}.blockIO` : undefined,
    hugetlb: r.hugepageLimits.length > 0 ? `${f}.hugepageLimits` : undefined,
    net_cls: r.netClsClassid !== undefined ? `${f}.network.classID` : undefined,
    net_prio: r.netPrioIfpriomap.length > 0 ? `${f}.network.priorities` : undefined,
    rdma: Object.keys(r.rdma).length > 0 ? `${f}.rdma` : undefined,
  };
}

/** Hugepage sizes the kernel offers, in cgroup file naming ("2MB", "1GB"). */
export function hugePageSizes(sysfs = '/sys/kernel/mm/hugepages'): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(sysfs);
  } catch {
    return [];
  }
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  return names.flatMap((n) => {
    const m = /^hugepages-(\d+)kB$/.exec(n);
    if (m === null) return [];
    let size = Number(m[1]);
    let u = 0;
    while (size >= 1024 && u < units.length - 1) {
      size /= 1024;
      u++;
    }
    return [`${size}${units[u]}`];
  });
}
