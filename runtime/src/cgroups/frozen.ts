import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Whether the container's cgroup is frozen, read straight from the freezer
 * file: `state` and `list` ask for every container and should not load the
 * managers for it. v1: freezer.state is FROZEN; v2: cgroup.freeze is 1.
 */
export function isFrozen(paths: Readonly<Record<string, string>>): boolean {
  const v1 = paths.freezer;
  try {
    if (v1 !== undefined) return fs.readFileSync(path.join(v1, 'freezer.state'), 'utf8').trim() === 'FROZEN';
    const v2 = paths[''];
    if (v2 !== undefined && Object.keys(paths).length === 1) return fs.readFileSync(path.join(v2, 'cgroup.freeze'), 'utf8').trim() === '1';
  } catch {
    // no freezer (or the cgroup is gone): not paused
  }
  return false;
}
