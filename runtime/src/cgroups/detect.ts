import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError } from './errors';

export type CgroupMode = 'v1' | 'v2' | 'hybrid';

/**
 * Where the cgroup hierarchies are. `v1` maps each v1 controller (and
 * "name=systemd") to its mount point; co-mounted controllers ("cpu,cpuacct")
 * share one. On a hybrid host `unified` is the cgroup2 mount that holds the
 * controllers v1 does not (on the development machines only hugetlb).
 */
export interface CgroupLayout {
  readonly mode: CgroupMode;
  readonly v1: ReadonlyMap<string, string>;
  readonly unified?: string;
}

export interface DetectOptions {
  /**
   * A cgroupfs-shaped directory to use instead of the real mounts (tests):
   * `<root>/cgroup.controllers` makes it v2; otherwise each subdirectory is a v1
   * hierarchy named by its controllers ("cpu,cpuacct"), and `<root>/unified`
   * with a cgroup.controllers makes it hybrid.
   */
  readonly root?: string;
  /** The text of /proc/self/mountinfo (tests). */
  readonly mountinfo?: string;
}

const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb',
  'net_cls', 'net_prio', 'perf_event', 'rdma', 'misc', 'name=systemd',
]);

/** Finds the cgroup hierarchies from a root override or /proc/self/mountinfo. */
export function detectLayout(opts: DetectOptions = {}): CgroupLayout {
  if (opts.root !== undefined) return layoutFromRoot(opts.root);
  const text = opts.mountinfo ?? fs.readFileSync('/proc/self/mountinfo', 'utf8');
  return layoutFromMountinfo(text);
}

export function layoutFromMountinfo(text: string): CgroupLayout {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    const mountPoint = unescapeMountinfo(left[4] ?? '');
    if (fstype === 'cgroup2') {
      // The first cgroup2 mount wins; later ones are usually bind mounts of it.
      unified ??= mountPoint;
    } else if (fstype === 'cgroup') {
      for (const opt of superOpts.split(',')) {
        if (V1_CONTROLLERS.has(opt) && !v1.has(opt)) v1.set(opt, mountPoint);
      }
    }
  }
  if (v1.size === 0 && unified === undefined) throw new CgroupError('no cgroup filesystem is mounted (see /proc/self/mountinfo)');
  const controllersV1 = [...v1.keys()].filter((c) => c !== 'name=systemd');
  if (controllersV1.length === 0 && unified !== undefined) return { mode: 'v2', v1: new Map(), unified };
  return { mode: unified === undefined ? 'v1' : 'hybrid', v1, unified };
}

function layoutFromRoot(root: string): CgroupLayout {
  if (fs.existsSync(path.join(root, 'cgroup.controllers'))) return { mode: 'v2', v1: new Map(), unified: root };
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const ent of fs.readdirSync(root, { withFileTypes: true })) {
    if (!ent.isDirectory()) continue;
    const dir = path.join(root, ent.name);
    if (ent.name === 'unified' && fs.existsSync(path.join(dir, 'cgroup.controllers'))) {
      unified = dir;
      continue;
    }
    const names = ent.name === 'systemd' ? ['name=systemd'] : ent.name.split(',');
    for (const c of names) if (V1_CONTROLLERS.has(c) && !v1.has(c)) v1.set(c, dir);
  }
  if (v1.size === 0) throw new CgroupError(`${root} holds neither a cgroup v2 hierarchy nor v1 controller directories`);
  return { mode: unified === undefined ? 'v1' : 'hybrid', v1, unified };
}

/** The controllers a cgroup2 directory offers (its cgroup.controllers). */
export function unifiedControllers(dir: string): Set<string> {
  try {
    return new Set(fs.readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean));
  } catch (err) {
    throw new CgroupError(`cannot read ${path.join(dir, 'cgroup.controllers')}: ${(err as Error).message}`, { cause: err });
  }
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * The calling process's cgroup per v1 controller (key "" for the v2 entry),
 * from /proc/self/cgroup: "4:memory:/a/b", "0::/x".
 */
export function ownCgroups(text?: string): Map<string, string> {
  const out = new Map<string, string>();
  const body = text ?? fs.readFileSync('/proc/self/cgroup', 'utf8');
  for (const line of body.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const ctrls = line.slice(first + 1, second);
    const p = line.slice(second + 1);
    if (ctrls === '') out.set('', p);
    else for (const c of ctrls.split(',')) out.set(c, p);
  }
  return out;
}
