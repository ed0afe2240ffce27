import { CgroupConfigError } from './errors';

/**
 * cgroup v1 values the OCI spec uses, converted for cgroup v2 the way runc
 * (opencontainers/cgroups) converts them.
 */

/**
 * cpu.shares [2..262144] to cpu.weight [1..10000]: the quadratic fit in
 * log2 space that maps 2 -> 1, 1024 -> 100 (both defaults) and 262144 ->
 * 10000 (runc 1.3.1+, crun 1.23+; the older linear formula put the default
 * 1024 shares at weight 39).
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(10 ** exponent);
}

/** blkio.weight [10..1000] to io.weight [1..10000]. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * OCI memory.swap is memory+swap (v1's memsw); v2's memory.swap.max is swap
 * alone. -1 is unlimited, 0 (undefined) unset. Returns undefined for "leave".
 */
export function swapToV2(swap: number | undefined, memory: number | undefined): number | undefined {
  const s = swap ?? 0;
  const m = memory ?? 0;
  if (m === -1 && s === 0) return -1; // unlimited memory implies unlimited swap
  if (s === -1) return -1;
  if (s === 0) return undefined;
  if (m === 0 || m === -1) throw new CgroupConfigError('linux.resources.memory.swap: unable to set swap limit without memory limit');
  if (s < m) throw new CgroupConfigError(`linux.resources.memory.swap: memory+swap limit (${s}) should be >= memory limit (${m})`);
  return s - m;
}
