import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuntimeTypes, Spec } from '@berth/spec';
import type { CgroupManager } from './cgroups/manager';
import { resourcesFromOci } from './cgroups/resources';
import { updateRequest } from './cgroups/update';
import type { SavedState, StateDir } from './state';

/*
 * `update` as runc does it: the request is merged into the container's current
 * resources (saved in state.json; at first the config's linux.resources), the
 * merged set is written to the cgroup, and saved back. Limits that depend on
 * each other then see their partner: v2's memory.swap.max is swap - memory, so
 * `update --memory-swap` alone needs the memory limit set earlier.
 */

type LinuxResources = RuntimeTypes.LinuxResources;

/** The parts of linux.resources that update merges key by key; the rest are replaced whole. */
const MERGED = ['memory', 'cpu', 'blockIO', 'pids'] as const;

/** `request` over `base`: fields present in the request win, absent ones keep their value. */
export function mergeResources(base: LinuxResources, request: LinuxResources): LinuxResources {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(request)) {
    if (value === undefined) continue;
    const old = out[key];
    const mergeable = (MERGED as readonly string[]).includes(key) && isObject(value) && isObject(old);
    out[key] = mergeable ? { ...old, ...value } : value;
  }
  // runc: unlimited memory without a swap value means unlimited swap too (v1 memsw must be >= memory).
  if (request.memory?.limit === -1 && request.memory.swap === undefined && isObject(out.memory)) {
    out.memory = { ...out.memory, swap: -1 };
  }
  return out as LinuxResources;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The container's resources as last set: state.json's, else those of the config saved at create. */
export function currentResources(dirs: StateDir, state: SavedState): LinuxResources {
  if (state.resources !== undefined) return state.resources;
  try {
    const config = JSON.parse(fs.readFileSync(path.join(dirs.dir(state.id), 'config.json'), 'utf8')) as Spec;
    return config.linux?.resources ?? {};
  } catch {
    return {};
  }
}

/**
 * Checks the request, writes the merged limits and saves them in state.json
 * (temp + rename). The caller holds the container's lock, so two updates
 * cannot lose each other's fields. Returns the warnings to print.
 */
export function applyUpdate(dirs: StateDir, state: SavedState, cgroup: CgroupManager, request: LinuxResources): string[] {
  // Checked on its own first: a bad value names the field the caller gave.
  const { warnings } = updateRequest(request);
  const merged = mergeResources(currentResources(dirs, state), request);
  // Device rules stay as create set them (runc's SkipDevices); they are kept in the saved copy.
  const { devices: _devices, ...writable } = merged;
  cgroup.set(resourcesFromOci(writable).resources);
  dirs.save({ ...state, resources: merged });
  return [...warnings];
}
