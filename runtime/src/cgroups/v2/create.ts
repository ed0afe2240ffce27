import * as path from 'node:path';
import { CgroupError } from '../errors';
import { readKnob, writeKnob } from '../fs';
import { mkdirTracked } from '../lifecycle';

/**
 * Creates a v2 cgroup and enables every available controller in the
 * subtree_control of each ancestor from the root down (not the leaf: v2's "no
 * internal processes" rule means the leaf holds the tasks). A controller the
 * kernel will not enable there is skipped here and reported when a limit for
 * it is set. Returns the directories it created.
 */
export function createV2(root: string, dir: string): string[] {
  const rel = path.relative(root, dir);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw new CgroupError(`cgroup ${dir} is not below ${root}`);
  const available = readKnob(root, 'cgroup.controllers').split(/\s+/).filter(Boolean);
  const created = mkdirTracked(dir);
  if (available.length === 0) return created;
  const all = available.map((c) => `+${c}`).join(' ');
  let cur = root;
  for (const part of rel.split('/').slice(0, -1)) {
    enable(cur, all);
    cur = path.join(cur, part);
  }
  enable(cur, all);
  return created;
}

function enable(dir: string, all: string): void {
  try {
    writeKnob(dir, 'cgroup.subtree_control', all);
  } catch {
    for (const c of all.split(' ')) {
      try {
        writeKnob(dir, 'cgroup.subtree_control', c);
      } catch {
        // Not delegable here (rootless, a threaded subtree): the setter that needs it says so.
      }
    }
  }
}

/** Enables the named controllers from the root down to `dir`'s parent (hybrid hosts, on demand). */
export function enableControllers(root: string, dir: string, controllers: readonly string[]): void {
  const rel = path.relative(root, dir);
  let cur = root;
  const parts = rel === '' ? [] : rel.split('/');
  for (const part of parts) {
    for (const c of controllers) {
      const on = readKnob(cur, 'cgroup.subtree_control').split(/\s+/);
      if (!on.includes(c)) writeKnob(cur, 'cgroup.subtree_control', `+${c}`);
    }
    cur = path.join(cur, part);
  }
}
