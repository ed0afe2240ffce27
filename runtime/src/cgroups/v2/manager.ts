import * as fs from 'node:fs';
import { CgroupError, CgroupUnsupportedError } from '../errors';
import { knobExists, readKeyValues, readKnob, readKnobIfExists, writeKnob } from '../fs';
import { allPids, removeCgroupTree, signalPid, waitFor, writeProc } from '../lifecycle';
import type { CgroupManager, FreezerState } from '../manager';
import type { Resources } from '../resources';
import type { CgroupStats } from '../stats';
import type { DeviceFilterAttacher } from '../devices/ebpf';
import { wants } from '../v1/set';
import { createV2 } from './create';
import {
  refuseV1Only, setCpuV2, setCpusetV2, setDevicesV2, setHugetlbV2, setIoV2, setMemoryV2, setPidsV2, setRdmaV2, setUnified,
} from './set';
import { statsV2 } from './stats';

/** v1 controller names (as `wants` reports them) to their v2 names. */
const V2_NAME: Record<string, string> = { blkio: 'io', cpu: 'cpu', cpuset: 'cpuset', memory: 'memory', pids: 'pids', hugetlb: 'hugetlb', rdma: 'rdma' };

export interface V2Options {
  /** The cgroup2 mount. */
  readonly root: string;
  /** The container's cgroup directory below it. */
  readonly dir: string;
  readonly deviceFilter?: DeviceFilterAttacher;
  /** How long freeze/thaw and kill wait for the kernel (ms). */
  readonly timeoutMs?: number;
}

/** A cgroup on the unified (v2) hierarchy: one directory, all controllers. */
export class V2Manager implements CgroupManager {
  readonly mode = 'v2' as const;
  readonly dir: string;
  private readonly root: string;
  private readonly attacher?: DeviceFilterAttacher;
  private readonly timeoutMs: number;

  constructor(opts: V2Options) {
    this.root = opts.root;
    this.dir = opts.dir;
    this.attacher = opts.deviceFilter;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  paths(): Record<string, string> {
    return { '': this.dir };
  }

  exists(): boolean {
    return fs.existsSync(this.dir);
  }

  create(): void {
    createV2(this.root, this.dir);
  }

  apply(pid: number): void {
    writeProc(this.dir, pid);
  }

  set(r: Resources): void {
    refuseV1Only(r);
    const controllers = this.controllers();
    for (const [v1name, field] of Object.entries(wants(r))) {
      const name = V2_NAME[v1name];
      if (field === undefined || name === undefined) continue;
      if (!controllers.has(name)) {
        throw new CgroupUnsupportedError(`${field}: the ${name} controller is not enabled for ${this.dir} (cgroup.controllers: ${[...controllers].join(' ') || 'none'})`);
      }
    }
    setPidsV2(this.dir, r);
    setMemoryV2(this.dir, r);
    setIoV2(this.dir, r);
    setCpuV2(this.dir, r);
    setDevicesV2(this.dir, r, this.attacher);
    setCpusetV2(this.dir, r);
    setHugetlbV2(this.dir, r);
    setRdmaV2(this.dir, r);
    setUnified(this.dir, r.unified, controllers);
  }

  stats(): CgroupStats {
    return statsV2(this.dir);
  }

  oomKillCount(): bigint {
    return readKeyValues(this.dir, 'memory.events').get('oom_kill') ?? 0n;
  }

  async freeze(): Promise<void> {
    await this.setFrozen(true);
  }

  async thaw(): Promise<void> {
    await this.setFrozen(false);
  }

  freezerState(): FreezerState {
    const want = readKnobIfExists(this.dir, 'cgroup.freeze');
    if (want === undefined || want === '0') return 'THAWED';
    return this.frozen() ? 'FROZEN' : 'FREEZING';
  }

  pids(): number[] {
    return allPids(this.dir);
  }

  async killAll(signal: NodeJS.Signals | number): Promise<void> {
    const isKill = signal === 'SIGKILL' || signal === 9;
    if (isKill && knobExists(this.dir, 'cgroup.kill')) {
      writeKnob(this.dir, 'cgroup.kill', '1');
    } else {
      for (const pid of this.pids()) signalPid(pid, signal);
    }
    if (!isKill) return;
    await waitFor(() => {
      const left = this.pids();
      for (const pid of left) signalPid(pid, 'SIGKILL');
      return left.length === 0;
    }, this.timeoutMs, `the processes of ${this.dir} to exit`);
  }

  async destroy(): Promise<void> {
    await removeCgroupTree(this.dir);
  }

  private controllers(): Set<string> {
    return new Set(readKnob(this.dir, 'cgroup.controllers').split(/\s+/).filter(Boolean));
  }

  private frozen(): boolean {
    return readKeyValues(this.dir, 'cgroup.events').get('frozen') === 1n;
  }

  private async setFrozen(on: boolean): Promise<void> {
    if (!knobExists(this.dir, 'cgroup.freeze')) {
      throw new CgroupUnsupportedError(`cannot ${on ? 'pause' : 'resume'}: ${this.dir} has no cgroup.freeze (kernel older than 5.2)`);
    }
    writeKnob(this.dir, 'cgroup.freeze', on ? '1' : '0');
    try {
      await waitFor(() => this.frozen() === on, this.timeoutMs, `${this.dir} to become ${on ? 'frozen' : 'thawed'}`);
    } catch (err) {
      if (on) writeKnob(this.dir, 'cgroup.freeze', '0'); // never leave it half-frozen
      throw err instanceof CgroupError ? err : new CgroupError(String(err));
    }
  }
}
