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
// createCgroupManager lives in reopen.ts (with openCgroupManager), which loads only the
// manager the host's layout needs: the runtime's create path imports it, not this index.
export { createCgroupManager, openCgroupManager, cgroupFeatures } from './reopen';
export type { ManagerOptions } from './reopen';
export { eventLine, watchOom } from './events';
export { V1Manager } from './v1/manager';
export { V2Manager } from './v2/manager';
