import * as fs from 'node:fs';
import { errCode } from './fs';
import { allPids, removeCgroupTree } from './lifecycle';

/**
 * Removes a finished container's cgroup from the paths saved in its state.
 * `delete` runs once per container and usually finds the cgroup empty: then
 * one rmdir per hierarchy is all it takes (no reading of cgroup.procs, no
 * listing), without loading the managers. The kernel refuses (EBUSY) to remove
 * a cgroup with processes or child cgroups in it; from the first refusal on,
 * the rest go the careful way: processes still in them (the container had no
 * pid namespace of its own, or something escaped) are killed first through the
 * manager, as runc's destroy does, child cgroups removed bottom-up, a cgroup
 * whose last task just left retried.
 */
export async function removeContainerCgroup(paths: Readonly<Record<string, string>>): Promise<void> {
  const dirs = [...new Set(Object.values(paths))];
  let i = 0;
  while (i < dirs.length && removedEmpty(dirs[i] as string)) i++;
  if (i === dirs.length) return;
  const left = new Set(dirs.slice(i));
  if ([...left].some((d) => allPids(d).length > 0)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { destroyCgroup, openContainerCgroup } = require('./container') as typeof import('./container');
    await destroyCgroup(openContainerCgroup(Object.fromEntries(Object.entries(paths).filter(([, d]) => left.has(d)))));
    return;
  }
  const errors: unknown[] = [];
  for (const d of left) await removeCgroupTree(d).catch((err: unknown) => errors.push(err));
  if (errors.length > 0) throw errors[0];
}

/** rmdir of a cgroup that should be empty: true when it is gone, false when anything stood in the way. */
function removedEmpty(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (err) {
    return errCode(err) === 'ENOENT';
  }
}
