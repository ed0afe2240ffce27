import { allPids, removeCgroupTree } from './lifecycle';

/**
 * Removes a finished container's cgroup from the paths saved in its state.
 * `delete` runs once per container and usually finds the cgroup empty: then
 * rmdir is all it takes, without loading the managers. Processes still in it
 * (the container had no pid namespace of its own, or something escaped) are
 * killed first through the manager, as runc's destroy does.
 */
export async function removeContainerCgroup(paths: Readonly<Record<string, string>>): Promise<void> {
  const dirs = [...new Set(Object.values(paths))];
  if (dirs.some((d) => allPids(d).length > 0)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { destroyCgroup, openContainerCgroup } = require('./container') as typeof import('./container');
    await destroyCgroup(openContainerCgroup(paths));
    return;
  }
  const errors: unknown[] = [];
  for (const d of dirs) await removeCgroupTree(d).catch((err: unknown) => errors.push(err));
  if (errors.length > 0) throw errors[0];
}
