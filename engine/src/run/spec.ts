/**
 * The OCI config.json of a `berth run` container: the image config
 * (Entrypoint, Cmd, Env, WorkingDir, User) and the flags over Docker's
 * defaults (moby's oci.DefaultLinuxSpec and what the daemon adds: the
 * default capability set, masked and read-only paths, /dev/shm, the
 * /etc/hostname, /etc/hosts and /etc/resolv.conf bind mounts).
 */
import type { ImageTypes, RuntimeTypes, Spec } from '@berth/spec';
import { RunUsageError } from './errors';
import type { ExecUser } from './user';

type ImageRunConfig = ImageTypes.Config;
type Mount = RuntimeTypes.Mount;

/** Docker's default capabilities (moby/oci/caps/defaults.go). */
export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export const DOCKER_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const DOCKER_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type NetworkMode = 'host' | 'none';

export interface SpecInput {
  /** The image's `config` section (may be missing in a minimal image). */
  image: ImageRunConfig | undefined;
  /** Absolute path of the mounted root filesystem. */
  rootfs: string;
  /** Overrides the image's Entrypoint (`--entrypoint`; '' clears it, as Docker). */
  entrypoint?: string;
  /** CMD... after the image; replaces the image's Cmd when non-empty. */
  args: readonly string[];
  /** `-e`/`--env-file` entries, already `K=V`, in order. */
  env: readonly string[];
  user: ExecUser;
  cwd: string;
  hostname: string;
  tty: boolean;
  readOnly: boolean;
  network: NetworkMode;
  /** Host files bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  /** Whether the host uses cgroup v2 only (Docker gives the container its own cgroup namespace then). */
  cgroupV2: boolean;
  /** The resolved seccomp section (Docker's default profile unless unconfined). */
  seccomp?: NonNullable<Spec['linux']>['seccomp'];
  /** `--init`: host path of the init binary, bound read-only at INIT_PATH and run as pid 1. */
  init?: string;
  /** Host directories mounted at the image's volume paths (Config.Volumes). */
  volumes?: readonly { destination: string; source: string }[];
}

/** Where Docker puts its init in the container (moby daemon/oci_linux.go inContainerInitPath). */
export const INIT_PATH = '/sbin/docker-init';

function envKey(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/** Docker's ReplaceOrAppendEnvValues: later entries replace earlier ones with the same key, in place. */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out = [...base];
  for (const entry of overrides) {
    const i = out.findIndex((e) => envKey(e) === envKey(entry));
    if (i >= 0) out[i] = entry;
    else out.push(entry);
  }
  return out;
}

/** The container's environment: PATH, HOSTNAME, TERM (with -t), the image's, the flags', HOME. */
export function containerEnv(input: Pick<SpecInput, 'image' | 'env' | 'hostname' | 'tty' | 'user'>): string[] {
  const imageEnv = input.image?.Env ?? [];
  const base = [`HOSTNAME=${input.hostname}`];
  if (input.tty) base.push('TERM=xterm');
  let env = mergeEnv(base, mergeEnv(imageEnv, input.env));
  if (!env.some((e) => envKey(e) === 'PATH')) env = [`PATH=${DEFAULT_PATH}`, ...env];
  if (!env.some((e) => envKey(e) === 'HOME')) env.push(`HOME=${input.user.home}`);
  return env;
}

/** Entrypoint + Cmd as Docker combines them: CMD... replaces Cmd; --entrypoint replaces Entrypoint and drops the image's Cmd. */
export function containerArgs(image: ImageRunConfig | undefined, entrypoint: string | undefined, args: readonly string[]): string[] {
  let ep = image?.Entrypoint ?? [];
  let cmd = image?.Cmd ?? [];
  if (entrypoint !== undefined) {
    ep = entrypoint === '' ? [] : [entrypoint];
    cmd = [];
  }
  if (args.length > 0) cmd = [...args];
  const all = [...ep, ...cmd];
  if (all.length === 0) throw new RunUsageError('no command specified');
  return all;
}

export function buildSpec(input: SpecInput): Spec {
  // read-only with --read-only, as Docker mounts them
  const bindOptions = input.readOnly ? ['rbind', 'rprivate', 'ro'] : ['rbind', 'rprivate'];
  const bind = (destination: string, source: string): Mount => ({ destination, type: 'bind', source, options: bindOptions });
  const namespaces: NonNullable<Spec['linux']>['namespaces'] = [{ type: 'mount' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }];
  if (input.network === 'none') namespaces.push({ type: 'network' });
  if (input.cgroupV2) namespaces.push({ type: 'cgroup' });
  const caps = [...DOCKER_DEFAULT_CAPS];
  const user: NonNullable<Spec['process']>['user'] = { uid: input.user.uid, gid: input.user.gid };
  if (input.user.additionalGids.length > 0) user.additionalGids = [...input.user.additionalGids];
  let args = containerArgs(input.image, input.entrypoint, input.args);
  const extraMounts: Mount[] = [];
  if (input.init !== undefined) {
    args = [INIT_PATH, '--', ...args];
    extraMounts.push({ destination: INIT_PATH, type: 'bind', source: input.init, options: ['bind', 'ro'] });
  }
  // volumes stay writable with --read-only, as Docker's
  for (const v of input.volumes ?? []) extraMounts.push({ destination: v.destination, type: 'bind', source: v.source, options: ['rbind', 'rprivate'] });
  const linux: NonNullable<Spec['linux']> = {
    namespaces,
    maskedPaths: [...DOCKER_MASKED_PATHS],
    readonlyPaths: [...DOCKER_READONLY_PATHS],
  };
  if (input.seccomp) linux.seccomp = input.seccomp;
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: input.tty,
      user,
      args,
      env: containerEnv(input),
      cwd: input.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
    },
    root: { path: input.rootfs, readonly: input.readOnly },
    hostname: input.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
      bind('/etc/resolv.conf', input.etcFiles.resolvConf),
      bind('/etc/hostname', input.etcFiles.hostname),
      bind('/etc/hosts', input.etcFiles.hosts),
      ...extraMounts,
    ],
    linux,
  };
}
