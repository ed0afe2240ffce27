import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuntimeTypes } from '@berth/spec';
import { bpf } from '@berth/sys';
import { containerDeviceRules } from './devices/rules';
import { detectLayout, type CgroupMode } from './detect';
import { CgroupError } from './errors';
import type { CgroupManager } from './manager';
import { createCgroupManager, openCgroupManager } from './reopen';
import { resolveCgroupsPath } from './path';
import { resourcesFromOci, type Resources } from './resources';
import type { V2Manager as V2ManagerClass } from './v2/manager';
import type { BpfDeviceFilterAttacher as Attacher } from './devices/attach';

/* eslint-disable @typescript-eslint/no-require-imports --
 * v2-only modules load on a v2 host only (the in-process runtime of `berth run` pays for
 * every module it loads at each start). */
const bpfAttacher = (): Attacher => new (require('./devices/attach') as typeof import('./devices/attach')).BpfDeviceFilterAttacher(bpf);
const V2Manager = (): typeof V2ManagerClass => (require('./v2/manager') as typeof import('./v2/manager')).V2Manager;
/* eslint-enable @typescript-eslint/no-require-imports */

/*
 * The runtime's side of cgroups: what create, delete and the later commands
 * call. The managers do the file work; this module decides what to ask of
 * them for one container, in runc's order (create, set, apply the init's pid
 * before it runs anything, destroy on delete or on a failed create).
 */

export interface ContainerCgroupOptions {
  readonly id: string;
  /** runc's --systemd-cgroup. */
  readonly systemdCgroup?: boolean;
  /**
   * runc's --rootless: a cgroup the caller may not create is then tolerated
   * when the config sets no limits (the container runs in the caller's cgroups).
   */
  readonly rootless?: boolean;
}

/** A container's cgroup, checked but not yet created. */
export interface PlannedCgroup {
  readonly resources: Resources;
  /** Settings accepted but without effect (as runc warns about them). */
  readonly warnings: readonly string[];
  /** The directories the cgroup will have (controller to host directory, "" for cgroup2): the container's cgroup mounts bind them. */
  readonly paths: Readonly<Record<string, string>>;
  /** Creates the cgroup and writes the limits; on any failure nothing is left behind. */
  setUp(): Promise<CgroupManager>;
}

/**
 * Checks `linux.resources` and `linux.cgroupsPath` before anything is created:
 * a malformed value or a systemd-form path without systemd is refused here,
 * naming the field.
 */
export function planContainerCgroup(config: RuntimeTypes.Spec, opts: ContainerCgroupOptions): PlannedCgroup {
  const linux = config.linux ?? {};
  const { resources: fromSpec, warnings } = resourcesFromOci(linux.resources ?? undefined);
  resolveCgroupsPath(linux.cgroupsPath, opts.id, { systemdCgroup: opts.systemdCgroup });
  // runc always writes the device rules: the spec's, its devices, and the defaults every container gets.
  const resources: Resources = { ...fromSpec, devices: containerDeviceRules(fromSpec.devices, linux.devices ?? []) };
  const layout = detectLayout();
  const m = createCgroupManager({
    id: opts.id,
    cgroupsPath: linux.cgroupsPath,
    systemdCgroup: opts.systemdCgroup,
    layout,
    deviceFilter: layout.mode === 'v2' ? bpfAttacher() : undefined,
  });
  if (opts.rootless && !hasLimits(fromSpec)) {
    const denied = Object.values(m.paths()).find((d) => !mayCreate(d));
    if (denied !== undefined) {
      // As runc: without limits to enforce, a rootless container needs no cgroup of its own.
      return {
        resources,
        warnings: [...warnings, `rootless: cannot create cgroup ${denied} (permission denied); the container runs without a cgroup of its own`],
        paths: {},
        setUp: () => Promise.resolve(noCgroup(layout.mode)),
      };
    }
  }
  return {
    resources,
    warnings,
    paths: m.paths(),
    async setUp() {
      // Another container's cgroup must not become ours: delete would kill its processes
      // (runc 1.2 refuses the same way). Checked before creating, so nothing of it is touched.
      if (m.exists()) {
        const busy = m.pids();
        if (busy.length > 0) {
          throw new CgroupError(`linux.cgroupsPath ${JSON.stringify(linux.cgroupsPath ?? '')}: the cgroup ${Object.values(m.paths())[0]} already has ${busy.length} process(es) in it; a container needs a cgroup of its own`);
        }
      }
      m.create();
      try {
        m.set(resources);
      } catch (err) {
        await destroyCgroup(m).catch(() => undefined);
        throw err;
      }
      return m;
    },
  };
}

/** Whether the resources set any limit (the device rules runc always writes do not count). */
function hasLimits(r: Resources): boolean {
  return Object.entries(r).some(([k, v]) => {
    if (k === 'devices' || k === 'checkBeforeUpdate' || v === undefined) return false;
    if (Array.isArray(v)) return v.length > 0;
    if (typeof v === 'object' && v !== null) return Object.keys(v).length > 0;
    return true;
  });
}

/** Whether this process may make `dir`: it exists and is writable, or its nearest existing parent is. */
function mayCreate(dir: string): boolean {
  let cur = dir;
  while (!fs.existsSync(cur)) {
    const up = path.dirname(cur);
    if (up === cur) return false;
    cur = up;
  }
  try {
    fs.accessSync(cur, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The manager of a rootless container without a cgroup: nothing to join, limit or remove. */
function noCgroup(mode: CgroupMode): CgroupManager {
  const none = (what: string): never => {
    throw new CgroupError(`${what}: the container has no cgroup of its own (rootless, no permission to create one)`);
  };
  return {
    mode,
    paths: () => ({}),
    exists: () => false,
    create: () => undefined,
    apply: () => undefined,
    set: () => none('cannot set resources'),
    stats: () => none('cannot read stats'),
    oomKillCount: () => 0n,
    freeze: async () => none('cannot freeze'),
    thaw: () => Promise.resolve(),
    freezerState: () => 'THAWED',
    pids: () => [],
    killAll: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
  };
}

/** The manager for the paths saved in state.json; a v2 host gets the bpf binding for device rules. */
export function openContainerCgroup(paths: Readonly<Record<string, string>>): CgroupManager {
  const layout = detectLayout();
  if (layout.mode !== 'v2') return openCgroupManager(paths, layout);
  // openCgroupManager checks the saved paths, but builds a v2 manager without a device filter.
  openCgroupManager(paths, layout);
  return new (V2Manager())({ root: layout.unified as string, dir: paths[''] as string, deviceFilter: bpfAttacher() });
}

/**
 * Kills what is left in the cgroup (processes that escaped the init's death,
 * or all of them without a pid namespace of its own) and removes it, as runc's
 * destroy does. A cgroup already gone is not an error.
 */
export async function destroyCgroup(m: CgroupManager): Promise<void> {
  if (!m.exists()) return;
  if (m.pids().length > 0) await m.killAll('SIGKILL');
  await m.destroy();
}
