import * as fs from 'node:fs';
import { CgroupError } from './errors';
import { CgroupLayout, detectLayout } from './detect';
import type { CgroupManager } from './manager';
import { V1Manager } from './v1/manager';
import { V2Manager } from './v2/manager';

/**
 * Rebuilds a container's manager from the `paths()` saved at create time
 * (runc keeps them in state.json): a relative cgroupsPath depends on the
 * cgroup of whoever ran `create`, so later commands must not resolve it again.
 */
export function openCgroupManager(paths: Readonly<Record<string, string>>, layout: CgroupLayout = detectLayout(), timeoutMs?: number): CgroupManager {
  const unifiedDir = paths[''];
  if (layout.mode === 'v2') {
    if (unifiedDir === undefined) throw new CgroupError('saved cgroup paths have no cgroup v2 directory');
    return new V2Manager({ root: layout.unified as string, dir: unifiedDir, timeoutMs });
  }
  const dirs = new Map(Object.entries(paths).filter(([k]) => k !== ''));
  for (const c of dirs.keys()) if (!layout.v1.has(c)) throw new CgroupError(`saved cgroup paths name controller ${c}, which this host does not mount`);
  const unified = unifiedDir !== undefined && layout.unified !== undefined ? { root: layout.unified, dir: unifiedDir } : undefined;
  return new V1Manager({ dirs, mounts: layout.v1, unified, timeoutMs });
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
