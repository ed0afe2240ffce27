/**
 * cgroups v1, v2 and hybrid for berth-runtime.
 *
 * The runtime calls them through container.ts (create, update, pause, events,
 * kill --all, ps), cleanup.ts (delete) and frozen.ts (state), in runc's order:
 *   create:  const { resources, warnings } = resourcesFromOci(spec.linux?.resources);
 *            const m = createCgroupManager({ id, cgroupsPath: spec.linux?.cgroupsPath, systemdCgroup, deviceFilter });
 *            m.create(); m.set({ ...resources, devices: containerDeviceRules(resources.devices, spec.linux?.devices) });
 *            m.apply(initPid)   // before the init runs anything; save m.paths() in the state
 *   later:   const m = openCgroupManager(saved.paths)
 *            update -> m.set(...); pause/resume -> m.freeze()/m.thaw(); state "paused" <- m.freezerState() === 'FROZEN'
 *            events --stats -> eventLine('stats', id, m.stats()); OOM events -> watchOom(m, ...)
 *            kill --all -> m.killAll(sig); ps -> m.pids(); delete -> m.destroy()
 */
import * as path from 'node:path';
import { CgroupError } from './errors';
import { CgroupLayout, DetectOptions, detectLayout, ownCgroups } from './detect';
import { ResolvePathOptions, resolveCgroupsPath } from './path';
import type { CgroupManager } from './manager';
import type { DeviceFilterAttacher } from './devices/ebpf';
import { V1Manager } from './v1/manager';
import { V2Manager } from './v2/manager';

export { CgroupError, CgroupConfigError, CgroupUnsupportedError } from './errors';
export { detectLayout, layoutFromMountinfo, ownCgroups } from './detect';
export type { CgroupLayout, CgroupMode, DetectOptions } from './detect';
export { resolveCgroupsPath, expandSlice, DEFAULT_CGROUP_PARENT } from './path';
export type { CgroupPath, ResolvePathOptions } from './path';
export { resourcesFromOci } from './resources';
export type { Resources, FromOciResult } from './resources';
export type { CgroupManager, FreezerState } from './manager';
export { sharesToWeight, blkioWeightToIoWeight, swapToV2 } from './convert';
export { eventsJson, emptyStats } from './stats';
export type { CgroupStats } from './stats';
export { DeviceEmulator } from './devices/emulator';
export { DEFAULT_ALLOWED_DEVICES, containerDeviceRules, cgroupString, deviceRulesFromOci } from './devices/rules';
export type { DeviceRule, DeviceType } from './devices/rules';
export { deviceFilter, BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE } from './devices/ebpf';
export type { DeviceFilterAttacher, DeviceFilterProgram, Insn } from './devices/ebpf';
export { BpfDeviceFilterAttacher, BPF_F_ALLOW_MULTI, BPF_F_REPLACE } from './devices/attach';
export type { BpfSyscalls } from './devices/attach';
export { openCgroupManager, cgroupFeatures } from './reopen';
export { eventLine, watchOom } from './events';
export { V1Manager } from './v1/manager';
export { V2Manager } from './v2/manager';

export interface ManagerOptions extends ResolvePathOptions, DetectOptions {
  /** The container id (for the default path /berth/<id>). */
  readonly id: string;
  /** `linux.cgroupsPath` from config.json. */
  readonly cgroupsPath?: string;
  /** Use this layout instead of detecting one. */
  readonly layout?: CgroupLayout;
  /** The text of /proc/self/cgroup, for relative paths (tests). */
  readonly selfCgroup?: string;
  /** Loads and attaches the v2 device eBPF program (bpf(2) in the native addon). */
  readonly deviceFilter?: DeviceFilterAttacher;
  /** How long freeze/thaw/kill wait for the kernel (ms, default 10 s). */
  readonly timeoutMs?: number;
}

/**
 * The manager for a container's cgroup on this host: v2 on a unified host,
 * v1 (plus the cgroup2 hierarchy on hybrid hosts) otherwise.
 */
export function createCgroupManager(opts: ManagerOptions): CgroupManager {
  const layout = opts.layout ?? detectLayout(opts);
  const cg = resolveCgroupsPath(opts.cgroupsPath, opts.id, opts);
  const own = cg.relative ? ownCgroups(opts.selfCgroup) : new Map<string, string>();
  const under = (mount: string, key: string, parentOfOwn: boolean) => {
    if (!cg.relative) return path.join(mount, cg.inner);
    const mine = own.get(key);
    if (mine === undefined) throw new CgroupError(`cannot resolve the relative cgroupsPath ${JSON.stringify(cg.inner)}: /proc/self/cgroup has no ${key || 'cgroup v2'} entry`);
    // On v2 the caller's own cgroup holds processes, so a child of it could
    // not get controllers; runc uses its parent (fs2 defaultDirPath).
    return path.join(mount, parentOfOwn ? path.posix.dirname(mine) : mine, cg.inner);
  };
  if (layout.mode === 'v2') {
    const root = layout.unified as string;
    return new V2Manager({ root, dir: under(root, '', true), deviceFilter: opts.deviceFilter, timeoutMs: opts.timeoutMs });
  }
  const dirs = new Map<string, string>();
  for (const [c, mount] of layout.v1) dirs.set(c, under(mount, c, false));
  const unified = layout.unified === undefined ? undefined : { root: layout.unified, dir: under(layout.unified, '', false) };
  return new V1Manager({ dirs, mounts: layout.v1, unified, timeoutMs: opts.timeoutMs });
}
