import { CgroupConfigError, CgroupUnsupportedError } from '../errors';
import { knobExists, readKnob, readKnobIfExists, writeKnob } from '../fs';
import { blkioWeightToIoWeight, sharesToWeight, swapToV2 } from '../convert';
import { deviceFilter, DeviceFilterAttacher } from '../devices/ebpf';
import { checkMemoryUsage, setRdma } from '../v1/set';
import type { Resources } from '../resources';

/*
 * cgroup v2 knobs, in runc's fs2 order. OCI fields v2 has no knob for are
 * refused by name instead of dropped.
 */

const F = 'linux.resources';

/** Refuses the v1-only settings; returns nothing when all is expressible on v2. */
export function refuseV1Only(r: Resources): void {
  const bad: string[] = [];
  if (r.memorySwappiness !== undefined) bad.push(`${F}.memory.swappiness`);
  if (r.oomKillDisable === true) bad.push(`${F}.memory.disableOOMKiller`);
  if (r.cpuRtPeriod !== undefined) bad.push(`${F}.cpu.realtimePeriod`);
  if (r.cpuRtRuntime !== undefined) bad.push(`${F}.cpu.realtimeRuntime`);
  if (r.netClsClassid !== undefined) bad.push(`${F}.network.classID`);
  if (r.netPrioIfpriomap.length > 0) bad.push(`${F}.network.priorities`);
  if (r.blkioLeafWeight !== undefined || r.blkioWeightDevice.some((d) => d.leafWeight !== undefined)) bad.push(`${F}.blockIO.leafWeight`);
  if (bad.length > 0) throw new CgroupUnsupportedError(`${bad.join(', ')}: not supported on cgroup v2 (a cgroup v1 feature)`);
}

export function setPidsV2(dir: string, r: Resources): void {
  if (r.pidsLimit === undefined) return;
  writeKnob(dir, 'pids.max', r.pidsLimit < 0 ? 'max' : String(r.pidsLimit));
}

/** -1 is "max" in v2's *.max/.low/.high files. */
const v2num = (v: number) => (v === -1 ? 'max' : String(v));

export function setMemoryV2(dir: string, r: Resources): void {
  if (r.memory === undefined && r.memorySwap === undefined && r.memoryReservation === undefined) return;
  checkMemoryUsage(dir, r, 'memory.current');
  const swap = swapToV2(r.memorySwap, r.memory);
  if (swap !== undefined) {
    if (!knobExists(dir, 'memory.swap.max')) {
      // No swap accounting: "unlimited" or "none" asks for nothing the kernel could refuse.
      if (swap !== -1 && swap !== 0) throw new CgroupConfigError(`${F}.memory.swap: this kernel has no swap accounting (memory.swap.max is missing)`);
    } else {
      writeKnob(dir, 'memory.swap.max', v2num(swap));
    }
  }
  if (r.memory !== undefined && r.memory !== 0) writeKnob(dir, 'memory.max', v2num(r.memory));
  if (r.memoryReservation !== undefined && r.memoryReservation !== 0) writeKnob(dir, 'memory.low', v2num(r.memoryReservation));
}

export function setIoV2(dir: string, r: Resources): void {
  const bfq = knobExists(dir, 'io.bfq.weight');
  // Per-device weights exist only in BFQ's file on kernels that list a "default" line.
  const bfqPerDevice = bfq && (readKnobIfExists(dir, 'io.bfq.weight') ?? '').startsWith('default');
  if (r.blkioWeight !== undefined) {
    if (bfq) writeKnob(dir, 'io.bfq.weight', String(r.blkioWeight));
    else writeKnob(dir, 'io.weight', String(blkioWeightToIoWeight(r.blkioWeight)));
  }
  const perDevice = r.blkioWeightDevice.filter((d) => d.weight !== undefined);
  if (perDevice.length > 0) {
    if (!bfqPerDevice) throw new CgroupUnsupportedError(`${F}.blockIO.weightDevice: needs the BFQ I/O scheduler with per-device weights (io.bfq.weight)`);
    for (const d of perDevice) writeKnob(dir, 'io.bfq.weight', `${d.major}:${d.minor} ${d.weight}`);
  }
  const max = (name: string, list: Resources['blkioThrottleReadBps']) => {
    for (const d of list) writeKnob(dir, 'io.max', `${d.major}:${d.minor} ${name}=${d.rate}`);
  };
  max('rbps', r.blkioThrottleReadBps);
  max('wbps', r.blkioThrottleWriteBps);
  max('riops', r.blkioThrottleReadIops);
  max('wiops', r.blkioThrottleWriteIops);
}

export function setCpuV2(dir: string, r: Resources): void {
  if (r.cpuIdle !== undefined) writeKnob(dir, 'cpu.idle', String(r.cpuIdle));
  if (r.cpuShares !== undefined) writeKnob(dir, 'cpu.weight', String(sharesToWeight(r.cpuShares)));
  let burst: string | undefined;
  if (r.cpuBurst !== undefined) {
    burst = String(r.cpuBurst);
    try {
      writeKnob(dir, 'cpu.max.burst', burst);
      burst = undefined;
    } catch (err) {
      // A burst above the old quota is refused until the new quota is in.
      if (r.cpuQuota === undefined) throw err;
    }
  }
  if (r.cpuQuota !== undefined || r.cpuPeriod !== undefined) {
    // cpu.max is "QUOTA PERIOD"; a period alone keeps the current quota.
    let quota = r.cpuQuota === undefined ? (readKnob(dir, 'cpu.max').split(' ')[0] ?? 'max') : r.cpuQuota > 0 ? String(r.cpuQuota) : 'max';
    if (quota === '') quota = 'max';
    writeKnob(dir, 'cpu.max', r.cpuPeriod === undefined ? quota : `${quota} ${r.cpuPeriod}`);
    if (burst !== undefined) writeKnob(dir, 'cpu.max.burst', burst);
  }
}

export function setCpusetV2(dir: string, r: Resources): void {
  if (r.cpusetCpus !== undefined) writeKnob(dir, 'cpuset.cpus', r.cpusetCpus);
  if (r.cpusetMems !== undefined) writeKnob(dir, 'cpuset.mems', r.cpusetMems);
}

/** hugetlb.<size>.max, and .rsvd.max where the kernel has it. */
export function setHugetlbV2(dir: string, r: Resources): void {
  let skipRsvd = false;
  for (const h of r.hugepageLimits) {
    const prefix = `hugetlb.${h.pageSize}`;
    if (!knobExists(dir, `${prefix}.max`)) {
      throw new CgroupUnsupportedError(`${F}.hugepageLimits: no ${prefix}.max in ${dir} (page size not supported, or the hugetlb controller is not enabled)`);
    }
    writeKnob(dir, `${prefix}.max`, String(h.limit));
    if (skipRsvd) continue;
    if (knobExists(dir, `${prefix}.rsvd.max`)) writeKnob(dir, `${prefix}.rsvd.max`, String(h.limit));
    else skipRsvd = true;
  }
}

export function setRdmaV2(dir: string, r: Resources): void {
  setRdma(dir, r);
}

export function setDevicesV2(dir: string, r: Resources, attacher: DeviceFilterAttacher | undefined): void {
  if (r.devices === undefined) return;
  const program = deviceFilter(r.devices);
  if (attacher === undefined) {
    throw new CgroupUnsupportedError(
      `${F}.devices: on cgroup v2 device rules are an eBPF program attached with bpf(2), and no bpf binding was given to the cgroup manager`,
    );
  }
  attacher.attach(dir, program);
}

/** The `unified` map: each key is a file in the cgroup, written last so it overrides the rest. */
export function setUnified(dir: string, unified: Readonly<Record<string, string>> | undefined, controllers: ReadonlySet<string>): void {
  for (const [k, v] of Object.entries(unified ?? {})) {
    if (k.includes('/')) throw new CgroupConfigError(`${F}.unified: resource ${JSON.stringify(k)} must be a file name (no slashes)`);
    if (!knobExists(dir, k)) {
      const dot = k.indexOf('.');
      if (dot <= 0) throw new CgroupConfigError(`${F}.unified: resource ${JSON.stringify(k)} must be in the form CONTROLLER.PARAMETER`);
      const c = k.slice(0, dot);
      if (c !== 'cgroup' && !controllers.has(c)) {
        throw new CgroupUnsupportedError(`${F}.unified: resource ${JSON.stringify(k)} can't be set: controller ${JSON.stringify(c)} not available`);
      }
      throw new CgroupConfigError(`${F}.unified: ${JSON.stringify(k)} is not a file in ${dir}`);
    }
    // Multi-line values (io.max for several devices) go in one write per line.
    for (const line of v.split('\n')) if (line !== '' || v === '') writeKnob(dir, k, line);
  }
}
