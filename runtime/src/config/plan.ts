import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuntimeTypes } from '@berth/spec';
import { MS, type LaunchPlan, type NamespaceType, type PlanDevice, type PlanMount } from '@berth/sys';
import { ConfigError } from '../errors';
import { checkHooks, initHooks } from '../hooks';
import { cgroupMounts } from './cgroup-mount';
import type { Bundle } from './load';
import { seccompState } from '../seccomp/state';
import { schedulingPlan } from '../sched';
import { checkIdMappings, idmapOf, timeOffsets } from '../userns';
import { CAPABILITIES, MOUNT_FLAGS, MOUNT_PROPAGATION, RLIMITS, UNSUPPORTED_MOUNT_OPTIONS } from './tables';

export interface PlanOptions {
  /** The container id: names its session keyring unless noNewKeyring. */
  id?: string;
  noNewKeyring?: boolean;
  stateDir?: string;
  noPivot: boolean;
  preserveFds: number;
  consoleFd?: number;
  wait: boolean;
  /** The container's cgroup directories (see cgroups/container.ts): cgroup mounts bind these. */
  cgroupPaths?: Readonly<Record<string, string>>;
  /** Where compiled seccomp programs are cached across runs (seccomp/cache.ts); none: this process only. */
  seccompCacheDir?: string;
}

export interface ResolvedPlan {
  plan: LaunchPlan;
  /** Things accepted but not enforced yet, for the log. */
  warnings: string[];
  /** Adjustments runc makes silently too, for the debug log. */
  notes: string[];
}

const SUPPORTED_NS: Record<string, NamespaceType> = {
  pid: 'pid', mount: 'mount', uts: 'uts', ipc: 'ipc', network: 'network', cgroup: 'cgroup', user: 'user', time: 'time',
};

/** rootfsPropagation as runc maps it (the schema has the plain forms; runc and Docker also send the r-forms). */
const ROOT_PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** The devices every container gets, as runc creates them. */
const DEFAULT_DEVICES: PlanDevice[] = [
  ['/dev/null', 1, 3], ['/dev/zero', 1, 5], ['/dev/full', 1, 7],
  ['/dev/random', 1, 8], ['/dev/urandom', 1, 9], ['/dev/tty', 5, 0],
].map(([p, major, minor]) => ({ path: p as string, type: 'c', major: major as number, minor: minor as number, mode: 0o666, uid: 0, gid: 0 }));

const DEV_LINKS = [
  { target: '/proc/self/fd', path: '/dev/fd' },
  { target: '/proc/self/fd/0', path: '/dev/stdin' },
  { target: '/proc/self/fd/1', path: '/dev/stdout' },
  { target: '/proc/self/fd/2', path: '/dev/stderr' },
  { target: 'pts/ptmx', path: '/dev/ptmx' },
];

/** Fields whose feature berth does not implement yet: refused when set. */
function refuseUnsupported(config: RuntimeTypes.Spec): void {
  const refuse = (jsonPath: string, what: string) => {
    throw new ConfigError(`${jsonPath}: ${what} is not supported by berth-runtime yet`);
  };
  const linux = config.linux ?? {};
  const proc = config.process ?? ({ cwd: '/' } as RuntimeTypes.Process);
  const nonEmpty = (v: unknown) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) && v !== '' && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
  if (nonEmpty(linux.intelRdt)) refuse('$.linux.intelRdt', 'Intel RDT');
  if (nonEmpty(linux.netDevices)) refuse('$.linux.netDevices', 'moving network devices');
  if (nonEmpty(linux.mountLabel)) refuse('$.linux.mountLabel', 'SELinux mount labels');
  if (nonEmpty(proc.apparmorProfile)) refuse('$.process.apparmorProfile', 'AppArmor');
  if (nonEmpty(proc.selinuxLabel)) refuse('$.process.selinuxLabel', 'SELinux');
  if (nonEmpty(proc.execCPUAffinity)) refuse('$.process.execCPUAffinity', 'exec CPU affinity');
  if (nonEmpty(proc.user?.username)) refuse('$.process.user.username', 'a user name (Windows only)');
}

function capMask(names: string[] | undefined, jsonPath: string): bigint {
  let mask = 0n;
  (names ?? []).forEach((name, i) => {
    const bit = CAPABILITIES.indexOf(name as (typeof CAPABILITIES)[number]);
    if (bit < 0) throw new ConfigError(`${jsonPath}[${i}]: unknown capability ${JSON.stringify(name)}`);
    mask |= 1n << BigInt(bit);
  });
  return mask;
}

/** JSON numbers above 2^53 lose precision: anything that large means "unlimited". */
function rlimitValue(v: number): bigint {
  return v >= 2 ** 63 ? 2n ** 64n - 1n : BigInt(Math.trunc(v));
}

function resolveMount(m: RuntimeTypes.Mount, i: number, bundleDir: string, linux: RuntimeTypes.Linux): PlanMount {
  const at = `$.mounts[${i}]`;
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  let idmapOption: string | undefined;
  for (const opt of m.options ?? []) {
    if (opt === 'idmap' || opt === 'ridmap') {
      idmapOption = opt;
      continue;
    }
    const f = MOUNT_FLAGS[opt];
    if (f) {
      if ('set' in f) flags |= f.set;
      else flags &= ~f.clear;
    } else if (opt in MOUNT_PROPAGATION) {
      propagation |= MOUNT_PROPAGATION[opt];
    } else if (UNSUPPORTED_MOUNT_OPTIONS.has(opt)) {
      throw new ConfigError(`${at}.options: ${opt} is not supported by berth-runtime yet`);
    } else {
      data.push(opt);
    }
  }
  let type = m.type ?? '';
  if (type === 'bind') flags |= MS.BIND;
  if (!m.destination) throw new ConfigError(`${at}.destination is required`);
  const target = path.posix.join('/', m.destination);
  let source: string | null = m.source ?? null;
  let targetIsFile = false;
  if (flags & MS.BIND) {
    if (!source) throw new ConfigError(`${at}.source is required for a bind mount`);
    source = path.resolve(bundleDir, source);
    let st: fs.Stats;
    try {
      st = fs.statSync(source);
    } catch {
      throw new ConfigError(`${at}.source: bind source ${source} does not exist`);
    }
    targetIsFile = !st.isDirectory();
    type = '';
  }
  if (!(flags & MS.BIND) && !type) throw new ConfigError(`${at}.type is required for a ${source ?? 'non-bind'} mount`);
  const idmap = idmapOf(m, at, idmapOption, (flags & MS.BIND) !== 0, linux);
  return { source, target, fstype: type || null, flags, propagation, data: data.length ? data.join(',') : null, targetIsFile, ...(idmap ? { idmap } : {}) };
}

function resolveDevice(d: RuntimeTypes.LinuxDevice, i: number): PlanDevice {
  const at = `$.linux.devices[${i}]`;
  const type = d.type === 'u' ? 'c' : d.type;
  if (type !== 'c' && type !== 'b' && type !== 'p') throw new ConfigError(`${at}.type: unknown device type ${JSON.stringify(d.type)}`);
  if (type !== 'p' && (d.major === undefined || d.minor === undefined)) throw new ConfigError(`${at}: major and minor are required for type ${type}`);
  if (!path.posix.isAbsolute(d.path) || d.path.split('/').includes('..')) throw new ConfigError(`${at}.path: ${d.path} must be absolute without ..`);
  return { path: d.path, type, major: d.major ?? 0, minor: d.minor ?? 0, mode: d.fileMode ?? 0o666, uid: d.uid ?? 0, gid: d.gid ?? 0 };
}

/**
 * As runc: without HOME in the env, the user's home from the rootfs's
 * /etc/passwd, or "/". The file is read only if neither etc nor passwd is a
 * symlink, so a rootfs cannot make us read a host file.
 */
function withHome(env: string[], rootfs: string, uid: number): string[] {
  if (env.some((e) => e.startsWith('HOME='))) return env;
  let home = '/';
  try {
    if (!fs.lstatSync(path.join(rootfs, 'etc')).isSymbolicLink() && fs.lstatSync(path.join(rootfs, 'etc', 'passwd')).isFile()) {
      for (const line of fs.readFileSync(path.join(rootfs, 'etc', 'passwd'), 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length >= 6 && Number(f[2]) === uid && f[2] !== '') {
          home = f[5] || '/';
          break;
        }
      }
    }
  } catch {
    // no passwd: "/"
  }
  return [...env, `HOME=${home}`];
}

/** Turns a checked config into the plan berth-init executes; refuses what berth cannot honour. */
export function buildPlan(bundle: Bundle, opts: PlanOptions): ResolvedPlan {
  const { config } = bundle;
  const warnings: string[] = [];
  const notes: string[] = [];
  refuseUnsupported(config);
  const linux = config.linux ?? {};
  const proc = config.process!;

  const namespaces: LaunchPlan['namespaces'] = [];
  const seen = new Set<string>();
  (linux.namespaces ?? []).forEach((ns, i) => {
    const type = SUPPORTED_NS[ns.type];
    if (!type) throw new ConfigError(`$.linux.namespaces[${i}].type: ${ns.type} namespaces are not supported by berth-runtime yet`);
    if (seen.has(type)) throw new ConfigError(`$.linux.namespaces[${i}]: duplicate ${type} namespace`);
    seen.add(type);
    if (ns.path !== undefined && !path.isAbsolute(ns.path)) throw new ConfigError(`$.linux.namespaces[${i}].path: ${ns.path} is not absolute`);
    namespaces.push(ns.path ? { type, path: ns.path } : { type });
  });
  const newNs = (t: NamespaceType) => namespaces.some((n) => n.type === t && !n.path);
  if (!seen.has('mount')) throw new ConfigError('$.linux.namespaces: a mount namespace is required');
  checkIdMappings(linux, newNs('user'));
  if (config.hostname && !newNs('uts')) throw new ConfigError('$.hostname: setting the hostname needs a new uts namespace');
  if (config.domainname && !newNs('uts')) throw new ConfigError('$.domainname: setting the domainname needs a new uts namespace');

  // As runc: / is made rslave (or as asked) before the rootfs is bound, and the asked propagation is
  // applied again to the new root after pivot_root (an unbindable / could not be bound, a shared root not pivoted).
  const asked = linux.rootfsPropagation === undefined ? 0 : ROOT_PROPAGATION[linux.rootfsPropagation];
  if (asked === undefined) throw new ConfigError(`$.linux.rootfsPropagation: unknown propagation ${JSON.stringify(linux.rootfsPropagation)}`);
  const rootPropagation = asked === 0 || asked & MS.UNBINDABLE ? MS.SLAVE | MS.REC : asked;

  const mounts = (config.mounts ?? []).flatMap((m, i) => {
    const resolved = resolveMount(m, i, bundle.dir, linux);
    return resolved.fstype === 'cgroup' ? cgroupMounts(resolved, newNs('cgroup'), opts.cgroupPaths) : [resolved];
  });
  const devBound = mounts.some((m) => m.target === '/dev' && m.flags & MS.BIND);
  const devices = [...(devBound ? [] : DEFAULT_DEVICES), ...(linux.devices ?? []).map(resolveDevice)];
  const symlinks = devBound ? [] : [...DEV_LINKS];

  if (proc.terminal && opts.consoleFd === undefined) {
    throw new ConfigError('$.process.terminal is true: a --console-socket is required');
  }
  if (!proc.terminal && opts.consoleFd !== undefined) {
    throw new ConfigError('--console-socket given but $.process.terminal is false');
  }
  if (!proc.args?.length) throw new ConfigError('$.process.args: a command is required');
  if (!path.posix.isAbsolute(proc.cwd)) throw new ConfigError(`$.process.cwd: ${proc.cwd} is not absolute`);

  const c = proc.capabilities;
  const capabilities = {
    bounding: capMask(c?.bounding, '$.process.capabilities.bounding'),
    effective: capMask(c?.effective, '$.process.capabilities.effective'),
    permitted: capMask(c?.permitted, '$.process.capabilities.permitted'),
    inheritable: capMask(c?.inheritable, '$.process.capabilities.inheritable'),
    ambient: capMask(c?.ambient, '$.process.capabilities.ambient'),
  };
  // The kernel only raises an ambient capability that is also permitted and inheritable;
  // runc skips the others, and so does berth (with a warning).
  const raisable = capabilities.ambient & capabilities.permitted & capabilities.inheritable;
  if (raisable !== capabilities.ambient) {
    notes.push('$.process.capabilities.ambient: capabilities not also permitted and inheritable are not raised');
    capabilities.ambient = raisable;
  }

  const rlimits = (proc.rlimits ?? []).map((r, i) => {
    const resource = RLIMITS[r.type];
    if (resource === undefined) throw new ConfigError(`$.process.rlimits[${i}].type: unknown rlimit ${r.type}`);
    const soft = rlimitValue(r.soft);
    const hard = rlimitValue(r.hard);
    if (soft > hard) throw new ConfigError(`$.process.rlimits[${i}]: soft limit ${r.soft} is above the hard limit ${r.hard}`);
    return { resource, soft, hard };
  });

  const sysctl = Object.entries(linux.sysctl ?? {}).map(([k, v]): [string, string] => {
    if (!/^[A-Za-z0-9_.\-/]+$/.test(k) || k.split(/[./]/).includes('..')) throw new ConfigError(`$.linux.sysctl: bad key ${JSON.stringify(k)}`);
    return [k, String(v)];
  });

  // linux.resources and linux.cgroupsPath are checked and applied by cgroups/container.ts.

  let seccomp: LaunchPlan['seccomp'];
  if (linux.seccomp) {
    // Loaded only for configs that use it; the compiler and its syscall tables (large) only on a cache miss.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { compileSeccompCached } = require('../seccomp/cache') as typeof import('../seccomp/cache');
    const compiled = compileSeccompCached(linux.seccomp, opts.seccompCacheDir);
    if (compiled.unknownNames.length) notes.push(`$.linux.seccomp: unknown syscalls skipped: ${compiled.unknownNames.join(', ')}`);
    seccomp = { program: compiled.program, flags: compiled.flags };
    if (compiled.listenerPath !== undefined) {
      const state = { id: opts.id ?? '', status: 'creating' as const, bundle: bundle.dir, annotations: config.annotations };
      seccomp.listener = { path: compiled.listenerPath, state: seccompState(state, linux.seccomp.listenerMetadata) };
    }
  }

  const hooks = initHooks(checkHooks(config.hooks), { id: opts.id ?? '', bundle: bundle.dir, annotations: config.annotations });
  const user = proc.user ?? {};
  const plan: LaunchPlan = {
    namespaces,
    rootfs: bundle.rootfs,
    rootPropagation,
    rootPropagationAfterPivot: asked,
    mounts,
    devices,
    symlinks,
    // runc creates a missing cwd
    mkdirs: [proc.cwd],
    noPivot: opts.noPivot,
    readonlyRoot: config.root?.readonly === true,
    maskedPaths: linux.maskedPaths ?? [],
    readonlyPaths: linux.readonlyPaths ?? [],
    hostname: config.hostname || undefined,
    domainname: config.domainname || undefined,
    sysctl,
    rlimits,
    capabilities,
    noNewPrivileges: proc.noNewPrivileges === true,
    oomScoreAdj: proc.oomScoreAdj,
    uid: user.uid ?? 0,
    gid: user.gid ?? 0,
    additionalGids: user.additionalGids ?? [],
    umask: user.umask,
    cwd: proc.cwd,
    env: withHome(proc.env ?? [], bundle.rootfs, user.uid ?? 0),
    args: proc.args,
    stateDir: opts.stateDir,
    consoleFd: opts.consoleFd,
    consoleSize: proc.consoleSize ? { height: proc.consoleSize.height, width: proc.consoleSize.width } : undefined,
    preserveFds: opts.preserveFds,
    wait: opts.wait,
    seccomp,
    timeOffsets: timeOffsets(linux, newNs('time')),
    ...schedulingPlan(config),
    // runc's keyring: "_ses.<id>", with possessor/user search and link added
    hooks,
    sessionKeyring: opts.noNewKeyring || opts.id === undefined ? undefined : { name: `_ses.${opts.id}`, addPermissions: 0x080b0000 },
  };
  return { plan, warnings, notes };
}
