import * as path from 'node:path';
import { BerthError } from '@berth/spec';
import { buildDir } from './native';

/**
 * The fully resolved launch plan berth-init executes (native/init/). It holds
 * no defaults and no policy: the runtime computes every value.
 */
export type NamespaceType = 'pid' | 'mount' | 'uts' | 'ipc' | 'network' | 'cgroup' | 'user' | 'time';

export interface PlanMount {
  /** Host path for binds, or the fs source ("proc", "tmpfs"); null for none. */
  source: string | null;
  /** Absolute path inside the rootfs; resolved there without leaving it. */
  target: string;
  fstype: string | null;
  /** MS_* flags; MS_BIND with other flags means bind, then remount with them. */
  flags: number;
  /** MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC), applied after mounting. */
  propagation: number;
  data: string | null;
  /** Create the target as a file (bind of a file) rather than a directory. */
  targetIsFile: boolean;
  /** An idmapped bind (mount_setattr MOUNT_ATTR_IDMAP) through a user namespace with these maps. */
  idmap?: { uidMappings: IdMapping[]; gidMappings: IdMapping[]; recursive: boolean };
}

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface PlanDevice {
  path: string;
  type: 'c' | 'b' | 'p';
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
}

export interface PlanRlimit {
  /** RLIMIT_* number. */
  resource: number;
  soft: bigint;
  hard: bigint;
}

export interface PlanCapabilities {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

export interface LaunchPlan {
  namespaces: { type: NamespaceType; path?: string }[];
  rootfs: string;
  /** Applied to / first (e.g. MS_SLAVE | MS_REC); 0 for none. */
  rootPropagation: number;
  /** Propagation given to the new root after pivot_root (rootfsPropagation as runc applies it there); 0: none. */
  rootPropagationAfterPivot?: number;
  mounts: PlanMount[];
  devices: PlanDevice[];
  symlinks: { target: string; path: string }[];
  /** Directories created inside the rootfs after the mounts (e.g. a missing cwd). */
  mkdirs?: string[];
  noPivot: boolean;
  readonlyRoot: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  hostname?: string;
  domainname?: string;
  sysctl: [string, string][];
  rlimits: PlanRlimit[];
  capabilities?: PlanCapabilities;
  noNewPrivileges: boolean;
  oomScoreAdj?: number;
  uid: number;
  gid: number;
  additionalGids: number[];
  umask?: number;
  cwd: string;
  env: string[];
  args: string[];
  /** Directory with exec.fifo: the process waits there for `start`. Absent: start at once. */
  stateDir?: string;
  /** fd (in berth-init) of the connected console socket: make a pty and send its master. */
  consoleFd?: number;
  consoleSize?: { height: number; width: number };
  preserveFds: number;
  /** Join a new session keyring with this name, then add permission bits to it. */
  sessionKeyring?: { name: string; addPermissions: number };
  /**
   * A compiled filter (struct sock_filter[], host byte order) and SECCOMP_FILTER_FLAG_*.
   * With `listener` (flags then include NEW_LISTENER): berth-init connects to its
   * path before joining any namespace and, once the filter is loaded, sends `state`
   * (the runtime-spec seccomp state; the string "@PID@" with its quotes becomes
   * the process's host pid) with the listener fd in SCM_RIGHTS.
   */
  seccomp?: { program: Buffer; flags: number; listener?: { path: string; state: string } };
  /** exec: join a running container's namespaces (all given by path); no rootfs or system setup. */
  exec?: boolean;
  /** personality(2) persona (PER_LINUX 0, PER_LINUX32 8). */
  personality?: number;
  /** ioprio_set(2) value: class << 13 | level. */
  ioPriority?: number;
  /** sched_setattr(2) fields. */
  scheduler?: { policy: number; flags: number; nice: number; priority: number; runtime: bigint; deadline: bigint; period: bigint };
  /** set_mempolicy(2): mode with its MPOL_F_* flags, and the node ids (below 1024). */
  memoryPolicy?: { mode: number; nodes: number[] };
  /** A new time namespace's offsets: clock id (CLOCK_MONOTONIC 1, CLOCK_BOOTTIME 7), seconds, nanoseconds. */
  timeOffsets?: { clock: number; secs: bigint; nanosecs: number }[];
  /**
   * After reporting its pid, the process waits for the runtime's go ("g" on
   * the sync socket), so the runtime can place it in cgroups first; a new
   * cgroup namespace is then made after the move, rooted at that cgroup.
   */
  waitForParent?: boolean;
  /** berth-init stays, waits for the process and exits with its status (128+N on signal N). */
  wait: boolean;
  /** OCI hooks berth-init runs in the container's namespaces (see native/init/hooks.c). */
  hooks?: Partial<Record<InitHookStage, PlanHookStage>>;
  /**
   * Before the createContainer hooks (mounts made, pivot_root not yet), report
   * "hooks" on the sync socket and wait for "r": the runtime runs the
   * prestart and createRuntime hooks meanwhile.
   */
  hookSync?: boolean;
}

export type InitHookStage = 'createContainer' | 'startContainer';

export interface PlanHook {
  path: string;
  /** argv, argv[0] first; empty: the path alone. */
  args: string[];
  env: string[];
  /** Seconds; 0 for no limit. */
  timeout: number;
}

export interface PlanHookStage {
  hooks: PlanHook[];
  /** The state JSON on the hooks' stdin is statePrefix + the process's pid (as it sees itself) + stateSuffix. */
  statePrefix: string;
  stateSuffix: string;
}

export class PlanEncodeError extends BerthError {
  constructor(message: string) {
    super('ERR_BERTH_PLAN', message);
  }
}

/** Path of the berth-init executable built by `npm install`. */
export function initPath(): string {
  return path.join(buildDir, 'berth-init');
}

/** uid_map/gid_map text. */
function mapText(maps: IdMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/** A node list as the hex words of an unsigned long[16] bitmap, lowest first. */
function nodeMask(nodes: number[]): string {
  const words = new Array<bigint>(16).fill(0n);
  for (const n of nodes) {
    if (!Number.isInteger(n) || n < 0 || n >= 1024) throw new PlanEncodeError(`memory policy node ${n} is not within 0..1023`);
    words[n >> 6] |= 1n << BigInt(n & 63);
  }
  return words.map((w) => w.toString(16)).join(',');
}

/** Encodes a plan in the wire format described in native/init/plan.c. */
export function encodePlan(plan: LaunchPlan): Buffer {
  const parts: string[] = [];
  const rec = (op: string, ...args: (string | number)[]): void => {
    parts.push(op, ...args.map(String));
  };
  for (const ns of plan.namespaces) rec('ns', ns.type, ns.path ?? '');
  rec('rootfs', plan.rootfs);
  if (plan.rootPropagation) rec('propagation', plan.rootPropagation);
  if (plan.rootPropagationAfterPivot) rec('rootprop', plan.rootPropagationAfterPivot);
  for (const m of plan.mounts) {
    rec('mount', m.source ?? '', m.target, m.fstype ?? '', m.flags, m.propagation, m.data ?? '', m.targetIsFile ? 'f' : 'd');
    if (m.idmap) rec('idmap', mapText(m.idmap.uidMappings), mapText(m.idmap.gidMappings), m.idmap.recursive ? 'r' : '');
  }
  for (const d of plan.devices) rec('device', d.path, d.type, d.major, d.minor, (d.mode & 0o7777).toString(8), d.uid, d.gid);
  for (const l of plan.symlinks) rec('symlink', l.target, l.path);
  for (const d of plan.mkdirs ?? []) rec('mkdir', d);
  if (plan.noPivot) rec('nopivot');
  if (plan.readonlyRoot) rec('readonly');
  for (const p of plan.maskedPaths) rec('mask', p);
  for (const p of plan.readonlyPaths) rec('ropath', p);
  if (plan.hostname !== undefined) rec('hostname', plan.hostname);
  if (plan.domainname !== undefined) rec('domainname', plan.domainname);
  for (const [k, v] of plan.sysctl) rec('sysctl', k, v);
  for (const r of plan.rlimits) rec('rlimit', r.resource, r.soft.toString(), r.hard.toString());
  const c = plan.capabilities;
  if (c) rec('caps', ...[c.bounding, c.effective, c.permitted, c.inheritable, c.ambient].map((v) => v.toString(16)));
  if (plan.noNewPrivileges) rec('nnp');
  if (plan.oomScoreAdj !== undefined) rec('oom', plan.oomScoreAdj);
  rec('user', plan.uid, plan.gid);
  for (const g of plan.additionalGids) rec('group', g);
  if (plan.umask !== undefined) rec('umask', plan.umask.toString(8));
  rec('cwd', plan.cwd);
  for (const e of plan.env) rec('env', e);
  for (const a of plan.args) rec('arg', a);
  if (plan.stateDir !== undefined) rec('statedir', plan.stateDir);
  if (plan.consoleFd !== undefined) rec('console', plan.consoleFd);
  if (plan.consoleSize) rec('winsize', plan.consoleSize.height, plan.consoleSize.width);
  rec('preserve', plan.preserveFds);
  if (plan.wait) rec('wait');
  if (plan.waitForParent) rec('waitgo');
  if (plan.sessionKeyring) rec('keyring', plan.sessionKeyring.name, plan.sessionKeyring.addPermissions.toString(16));
  if (plan.seccomp) rec('seccomp', plan.seccomp.flags, plan.seccomp.program.toString('hex'));
  if (plan.seccomp?.listener) rec('seclistener', plan.seccomp.listener.path, plan.seccomp.listener.state);
  if (plan.exec) rec('exec');
  if (plan.personality !== undefined) rec('personality', plan.personality);
  if (plan.ioPriority !== undefined) rec('ioprio', plan.ioPriority);
  const sc = plan.scheduler;
  if (sc) rec('sched', sc.policy, sc.flags, sc.nice, sc.priority, sc.runtime.toString(), sc.deadline.toString(), sc.period.toString());
  if (plan.memoryPolicy) rec('mempolicy', plan.memoryPolicy.mode, nodeMask(plan.memoryPolicy.nodes));
  for (const t of plan.timeOffsets ?? []) rec('timeoffset', t.clock, t.secs.toString(), t.nanosecs);
  if (plan.hookSync) rec('hooksync');
  for (const [stage, set] of Object.entries(plan.hooks ?? {})) {
    rec('hookstate', stage, set.statePrefix, set.stateSuffix);
    for (const h of set.hooks) {
      rec('hook', stage, h.path, h.timeout);
      for (const a of h.args) rec('hookarg', a);
      for (const e of h.env) rec('hookenv', e);
    }
  }
  for (const p of parts) {
    if (p.includes('\0')) throw new PlanEncodeError(`plan value contains a NUL byte: ${JSON.stringify(p)}`);
  }
  const body = Buffer.from(parts.join('\0') + '\0');
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length);
  return Buffer.concat([header, body]);
}
