import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError } from './errors';
import { CgroupLayout, DetectOptions, detectLayout, ownCgroups } from './detect';
import { ResolvePathOptions, resolveCgroupsPath } from './path';
import type { CgroupManager } from './manager';
import type { DeviceFilterAttacher } from './devices/ebpf';
import type { V1Manager as V1ManagerClass } from './v1/manager';
import type { V2Manager as V2ManagerClass } from './v2/manager';

/* eslint-disable @typescript-eslint/no-require-imports --
 * Only the layout's manager loads (each pulls its set and stats modules): `berth run`
 * runs the runtime in-process and pays for every module at each start. */
const V1Manager = (): typeof V1ManagerClass => (require('./v1/manager') as typeof import('./v1/manager')).V1Manager;
const V2Manager = (): typeof V2ManagerClass => (require('./v2/manager') as typeof import('./v2/manager')).V2Manager;
/* eslint-enable @typescript-eslint/no-require-imports */

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
    return new (V2Manager())({ root, dir: under(root, '', true), deviceFilter: opts.deviceFilter, timeoutMs: opts.timeoutMs });
  }
  const dirs = new Map<string, string>();
  for (const [c, mount] of layout.v1) dirs.set(c, under(mount, c, false));
  const unified = layout.unified === undefined ? undefined : { root: layout.unified, dir: under(layout.unified, '', false) };
  return new (V1Manager())({ dirs, mounts: layout.v1, unified, timeoutMs: opts.timeoutMs });
}

/**
 * Rebuilds a container's manager from the `paths()` saved at create time
 * (runc keeps them in state.json): a relative cgroupsPath depends on the
 * cgroup of whoever ran `create`, so later commands must not resolve it again.
 */
export function openCgroupManager(paths: Readonly<Record<string, string>>, layout: CgroupLayout = detectLayout(), timeoutMs?: number): CgroupManager {
  const unifiedDir = paths[''];
  if (layout.mode === 'v2') {
    if (unifiedDir === undefined) throw new CgroupError('saved cgroup paths have no cgroup v2 directory');
    return new (V2Manager())({ root: layout.unified as string, dir: unifiedDir, timeoutMs });
  }
  const dirs = new Map(Object.entries(paths).filter(([k]) => k !== ''));
  for (const c of dirs.keys()) if (!layout.v1.has(c)) throw new CgroupError(`saved cgroup paths name controller ${c}, which this host does not mount`);
  const unified = unifiedDir !== undefined && layout.unified !== undefined ? { root: layout.unified, dir: unifiedDir } : undefined;
  return new (V1Manager())({ dirs, mounts: layout.v1, unified, timeoutMs });
}

/** What the runtime's `features` reports about cgroups on this host (runtime-spec features.linux.cgroup). */
export function cgroupFeatures(layout: CgroupLayout = detectLayout()): { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean; rdma: boolean } {
  const unifiedHasRdma = layout.unified !== undefined && readControllers(layout.unified).has('rdma');
  return {
    v1: layout.mode !== 'v2',
    v2: layout.mode !== 'v1',
    // The systemd form of cgroupsPath maps to systemd's layout on cgroupfs; no D-Bus driver.
    systemd: false,
    systemdUser: false,
    rdma: layout.v1.has('rdma') || unifiedHasRdma,
  };
}

function readControllers(dir: string): Set<string> {
  try {
    return new Set(fs.readFileSync(`${dir}/cgroup.controllers`, 'utf8').split(/\s+/).filter(Boolean));
  } catch {
    return new Set();
  }
}
