import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError, CgroupUnsupportedError } from '../errors';
import { delay, readKeyValues, readKnob, writeKnob } from '../fs';
import { allPids, mkdirTracked, removeCgroupTree, removeCreated, signalPid, waitFor, writeProc } from '../lifecycle';
import type { CgroupManager, FreezerState } from '../manager';
import type { Resources } from '../resources';
import type { CgroupStats } from '../stats';
import {
  ensureCpusetInherited, setBlkio, setCpu, setCpuset, setDevices, setHugetlb, setMemory, setNetCls, setNetPrio, setPids, setRdma, wants,
} from './set';

/* eslint-disable @typescript-eslint/no-require-imports --
 * Loaded when used: a container with no cgroup2 limits (the usual one, on a hybrid host too)
 * needs none of the cgroup2 code at create, and create never reads stats; `berth run` runs the
 * runtime in-process and pays for every module it loads (7 fewer here). */
const v2Create = (): typeof import('../v2/create') => require('../v2/create') as typeof import('../v2/create');
const v2Set = (): typeof import('../v2/set') => require('../v2/set') as typeof import('../v2/set');
const v2Stats = (): typeof import('../v2/stats') => require('../v2/stats') as typeof import('../v2/stats');
const v1Stats = (): typeof import('./stats') => require('./stats') as typeof import('./stats');
/* eslint-enable @typescript-eslint/no-require-imports */

export interface V1Options {
  /** Controller name to its directory for this container ("name=systemd" included). */
  readonly dirs: ReadonlyMap<string, string>;
  /** Controller name to its hierarchy's mount point (for cpuset inheritance). */
  readonly mounts: ReadonlyMap<string, string>;
  /** Hybrid hosts: the container's directory in the cgroup2 hierarchy, and that hierarchy's mount. */
  readonly unified?: { readonly root: string; readonly dir: string };
  readonly timeoutMs?: number;
}

/** The order runc's fs manager visits v1 controllers in. */
const ORDER = ['cpuset', 'devices', 'memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'hugetlb', 'net_cls', 'net_prio', 'perf_event', 'freezer', 'rdma', 'misc', 'name=systemd'];

const SETTERS: Record<string, (dir: string, r: Resources) => void> = {
  cpuset: setCpuset, devices: setDevices, memory: setMemory, cpu: setCpu, pids: setPids, blkio: setBlkio,
  hugetlb: setHugetlb, net_cls: setNetCls, net_prio: setNetPrio, rdma: setRdma,
};

/** A cgroup on v1 hierarchies (and, on a hybrid host, the cgroup2 one beside them). */
export class V1Manager implements CgroupManager {
  readonly mode: 'v1' | 'hybrid';
  private readonly dirs: ReadonlyMap<string, string>;
  private readonly mounts: ReadonlyMap<string, string>;
  private readonly unified?: { readonly root: string; readonly dir: string };
  private readonly timeoutMs: number;

  constructor(opts: V1Options) {
    this.dirs = new Map([...opts.dirs].sort(([a], [b]) => rank(a) - rank(b)));
    this.mounts = opts.mounts;
    this.unified = opts.unified;
    this.mode = opts.unified === undefined ? 'v1' : 'hybrid';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  paths(): Record<string, string> {
    const out: Record<string, string> = Object.fromEntries(this.dirs);
    if (this.unified !== undefined) out[''] = this.unified.dir;
    return out;
  }

  exists(): boolean {
    return fs.existsSync(this.primary());
  }

  create(): void {
    const created: string[] = [];
    try {
      for (const [c, dir] of this.dirs) {
        created.push(...mkdirTracked(dir));
        if (c === 'cpuset') ensureCpusetInherited(this.mounts.get(c) as string, dir);
      }
      // runc joins the cgroup2 hierarchy on hybrid hosts too, without limits there.
      if (this.unified !== undefined) created.push(...mkdirTracked(this.unified.dir));
    } catch (err) {
      removeCreated(created);
      throw err;
    }
  }

  apply(pid: number): void {
    for (const dir of this.uniqueDirs()) writeProc(dir, pid);
  }

  set(r: Resources): void {
    const unifiedCtl = this.unified === undefined ? new Set<string>() : unifiedControllersOf(this.unified.root);
    const hugetlbOnUnified = !this.dirs.has('hugetlb') && unifiedCtl.has('hugetlb');
    if (r.unified !== undefined && Object.keys(r.unified).length > 0) {
      if (this.unified === undefined) throw new CgroupUnsupportedError('linux.resources.unified: cannot be used on a cgroup v1 host (it needs cgroup v2)');
      // Hybrid: only keys of controllers that live in the cgroup2 hierarchy can work.
      for (const k of Object.keys(r.unified)) {
        const c = k.split('.')[0] ?? '';
        if (c !== 'cgroup' && !unifiedCtl.has(c)) {
          throw new CgroupUnsupportedError(`linux.resources.unified: ${JSON.stringify(k)} can't be set: controller ${JSON.stringify(c)} is not in the cgroup v2 hierarchy of this hybrid host`);
        }
      }
    }
    for (const [c, field] of Object.entries(wants(r))) {
      if (field === undefined || this.dirs.has(c) || (c === 'hugetlb' && hugetlbOnUnified)) continue;
      throw new CgroupUnsupportedError(`${field}: the ${c} cgroup controller is not mounted on this host`);
    }
    const seen = new Set<string>();
    for (const [c, dir] of this.dirs) {
      const setter = SETTERS[c];
      if (setter === undefined) continue;
      seen.add(c);
      setter(dir, r);
    }
    const hugetlbV2 = hugetlbOnUnified && r.hugepageLimits.length > 0;
    const unifiedKeys = Object.keys(r.unified ?? {});
    if (this.unified !== undefined && (hugetlbV2 || unifiedKeys.length > 0)) {
      const needs = [...(hugetlbV2 ? ['hugetlb'] : []), ...unifiedKeys.map((k) => k.split('.')[0] as string).filter((c) => c !== 'cgroup')];
      if (needs.length > 0) v2Create().enableControllers(this.unified.root, this.unified.dir, [...new Set(needs)]);
      const { setHugetlbV2, setUnified } = v2Set();
      if (hugetlbV2) setHugetlbV2(this.unified.dir, r);
      setUnified(this.unified.dir, r.unified, unifiedCtl);
    }
  }

  stats(): CgroupStats {
    const st = v1Stats().statsV1(this.dirs);
    if (this.unified !== undefined && !this.dirs.has('hugetlb')) st.hugetlb = v2Stats().statsV2(this.unified.dir).hugetlb;
    return st;
  }

  oomKillCount(): bigint {
    const mem = this.dirs.get('memory');
    if (mem === undefined) return 0n;
    return readKeyValues(mem, 'memory.oom_control').get('oom_kill') ?? 0n;
  }

  /**
   * Writes FROZEN until the kernel reports it. FREEZING can stick when a task
   * is in an uninterruptible state, so thaw and retry now and then (runc's loop).
   */
  async freeze(): Promise<void> {
    const dir = this.freezerDir('pause');
    try {
      for (let i = 0; i < 1000; i++) {
        if (i % 50 === 49) {
          writeKnob(dir, 'freezer.state', 'THAWED');
          await delay(10);
        }
        writeKnob(dir, 'freezer.state', 'FROZEN');
        const state = readKnob(dir, 'freezer.state');
        if (state === 'FROZEN') return;
        if (state !== 'FREEZING') throw new CgroupError(`unexpected ${path.join(dir, 'freezer.state')} ${state} after writing FROZEN`);
        await delay(i < 25 ? 0 : 1);
      }
      throw new CgroupError(`unable to freeze ${dir}: still FREEZING`);
    } catch (err) {
      writeKnob(dir, 'freezer.state', 'THAWED');
      throw err;
    }
  }

  async thaw(): Promise<void> {
    const dir = this.freezerDir('resume');
    writeKnob(dir, 'freezer.state', 'THAWED');
    await waitFor(() => readKnob(dir, 'freezer.state') === 'THAWED', this.timeoutMs, `${dir} to thaw`);
  }

  freezerState(): FreezerState {
    const dir = this.dirs.get('freezer');
    if (dir === undefined) return 'THAWED';
    const s = readKnob(dir, 'freezer.state');
    if (s !== 'THAWED' && s !== 'FREEZING' && s !== 'FROZEN') throw new CgroupError(`unexpected ${path.join(dir, 'freezer.state')} ${s}`);
    return s;
  }

  pids(): number[] {
    return allPids(this.primary());
  }

  /**
   * v1 has no cgroup.kill: freeze so nothing forks in between, signal every
   * pid, thaw (a frozen task cannot die), and for SIGKILL repeat until empty.
   */
  async killAll(signal: NodeJS.Signals | number): Promise<void> {
    const isKill = signal === 'SIGKILL' || signal === 9;
    const canFreeze = this.dirs.has('freezer');
    const wasFrozen = canFreeze && this.freezerState() === 'FROZEN';
    if (canFreeze && !wasFrozen) await this.freeze();
    try {
      for (const pid of this.pids()) signalPid(pid, signal);
    } finally {
      // A paused container stays paused (its tasks get the signal on resume),
      // except for SIGKILL: a frozen task cannot die.
      if (canFreeze && (!wasFrozen || isKill)) await this.thaw();
    }
    if (!isKill) return;
    await waitFor(() => {
      const left = this.pids();
      for (const pid of left) signalPid(pid, 'SIGKILL');
      return left.length === 0;
    }, this.timeoutMs, `the processes of ${this.primary()} to exit`);
  }

  async destroy(): Promise<void> {
    const errors: unknown[] = [];
    const dirs = [...this.uniqueDirs()];
    for (const dir of dirs) {
      try {
        await removeCgroupTree(dir);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }

  private uniqueDirs(): Set<string> {
    const out = new Set(this.dirs.values());
    if (this.unified !== undefined) out.add(this.unified.dir);
    return out;
  }

  /** The directory pids are read from: any hierarchy holds all of them, prefer freezer's. */
  private primary(): string {
    const d = this.dirs.get('freezer') ?? this.dirs.get('pids') ?? this.dirs.get('memory') ?? this.dirs.values().next().value;
    if (d === undefined) throw new CgroupError('no cgroup v1 controller is mounted');
    return d;
  }

  private freezerDir(what: string): string {
    const d = this.dirs.get('freezer');
    if (d === undefined) throw new CgroupUnsupportedError(`cannot ${what}: the freezer cgroup controller is not mounted on this host`);
    return d;
  }
}

function rank(c: string): number {
  const i = ORDER.indexOf(c);
  return i < 0 ? ORDER.length : i;
}

function unifiedControllersOf(dir: string): Set<string> {
  try {
    return new Set(fs.readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean));
  } catch {
    return new Set();
  }
}
