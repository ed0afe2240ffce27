import * as fs from 'node:fs';
import * as path from 'node:path';
import { MS, type PlanMount } from '@berth/sys';

interface Hierarchy {
  /** Where the hierarchy is mounted on the host, e.g. /sys/fs/cgroup/memory. */
  mountPoint: string;
  /** The host path of this process's cgroup in it. */
  ownPath: string;
  /** The controllers in it as /proc/self/cgroup names them ("cpu,cpuacct", "name=systemd"; "" for cgroup2). */
  controllers: string;
  unified: boolean;
}

/** The cgroup hierarchies mounted under /sys/fs/cgroup, with this process's cgroup in each. */
function hierarchies(): Hierarchy[] {
  const own = new Map<string, string>();
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) own.set(m[1], m[2]);
  }
  const out: Hierarchy[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const f = left.split(' ');
    const [fstype, , superOpts] = right.split(' ');
    const mountPoint = f[4];
    if (!mountPoint.startsWith('/sys/fs/cgroup/') || (fstype !== 'cgroup' && fstype !== 'cgroup2')) continue;
    const key = fstype === 'cgroup2' ? '' : superOpts.split(',').filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent') && o !== 'clone_children').join(',');
    const cg = own.get(key);
    if (cg === undefined) continue;
    const root = f[3];
    const rel = path.posix.relative(root, cg);
    out.push({ mountPoint, ownPath: rel.startsWith('..') ? mountPoint : path.posix.join(mountPoint, rel), controllers: key, unified: fstype === 'cgroup2' });
  }
  return out;
}

/**
 * A spec mount of type "cgroup". On a cgroup v2 host with a new cgroup
 * namespace the kernel scopes a cgroup2 mount to the container; otherwise,
 * as runc does, the container sees a tmpfs holding binds (read-only if the
 * mount is) of its own cgroup in each host hierarchy, never the host's whole tree.
 */
export function cgroupMounts(m: PlanMount, newCgroupNs: boolean, containerPaths?: Readonly<Record<string, string>>): PlanMount[] {
  const unified = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
  if (unified && newCgroupNs) return [{ ...m, source: 'cgroup2', fstype: 'cgroup2' }];
  if (unified) {
    const own = hierarchies().find((h) => h.mountPoint === '/sys/fs/cgroup');
    const src = containerPaths?.[''] ?? own?.ownPath ?? '/sys/fs/cgroup';
    return [{ ...m, source: src, fstype: null, flags: m.flags | MS.BIND | MS.REC, data: null }];
  }
  const ro = m.flags & MS.RDONLY;
  const base = m.flags & (MS.NOSUID | MS.NODEV | MS.NOEXEC);
  const out: PlanMount[] = [{ ...m, source: 'tmpfs', fstype: 'tmpfs', flags: base | (m.flags & MS.RELATIME), data: 'mode=755', targetIsFile: false }];
  // As runc on a v1 host: the v1 hierarchies only (not a hybrid host's unified one).
  for (const h of hierarchies().filter((x) => !x.unified)) {
    // The container's own cgroup in this hierarchy (its first controller names it), as runc binds it.
    const mine = containerPaths?.[h.controllers.split(',')[0] as string];
    out.push({
      source: mine ?? h.ownPath,
      target: path.posix.join(m.target, path.posix.basename(h.mountPoint)),
      fstype: null,
      flags: MS.BIND | MS.REC | base | ro,
      propagation: 0,
      data: null,
      targetIsFile: false,
    });
  }
  return out;
}
