import type { CgroupMode } from './detect';
import type { Resources } from './resources';
import type { CgroupStats } from './stats';

export type FreezerState = 'THAWED' | 'FREEZING' | 'FROZEN';

/**
 * One container's cgroup, on v1 (a directory per controller) or v2 (one
 * directory). The runtime calls `create` before the init runs anything,
 * `apply` with the init's pid, `set` for create and `update`, and `destroy`
 * on delete.
 */
export interface CgroupManager {
  readonly mode: CgroupMode;
  /** The cgroup directories: controller name to directory on v1 ("" is the unified one), {"": dir} on v2. */
  paths(): Record<string, string>;
  /** Whether the cgroup directory exists. */
  exists(): boolean;
  /** Creates the cgroup directories (and, on v2, enables the controllers down the path). */
  create(): void;
  /** Moves a process (all its threads) into the cgroup. */
  apply(pid: number): void;
  /** Writes the resource limits; also used by `update`. */
  set(resources: Resources): void;
  /** Usage counters in runc's `events --stats` shape. */
  stats(): CgroupStats;
  /** How many times the OOM killer killed a task in this cgroup. */
  oomKillCount(): bigint;
  /** Freezes every task and resolves once the kernel reports FROZEN. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  freezerState(): FreezerState;
  /** The pids in the cgroup and its descendants. */
  pids(): number[];
  /**
   * Signals every process. For SIGKILL it repeats until the cgroup is empty
   * (cgroup.kill on v2 when the kernel has it).
   */
  killAll(signal: NodeJS.Signals | number): Promise<void>;
  /** Removes the cgroup directories bottom-up; a missing cgroup is not an error. */
  destroy(): Promise<void>;
}
