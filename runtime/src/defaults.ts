import type { Features, Spec } from '@berth/spec';
import { CAPABILITIES, MOUNT_FLAGS, MOUNT_PROPAGATION } from './config/tables';
import { OCI_VERSION } from './state';
import { HOOK_STAGES } from './hooks';

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/** The config.json `spec` writes: the same container runc's `spec` describes. */
export function defaultSpec(rootless = false): Spec {
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS, ambient: DEFAULT_CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'berth',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  if (rootless) {
    // As runc's ToRootless: a user namespace mapping the caller, no network namespace,
    // /sys bound from the host, no uid=/gid= mount options, no resources.
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    spec.linux!.namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }];
    spec.linux!.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }];
    delete spec.linux!.resources;
    spec.mounts = spec.mounts!.map((m) => {
      if (m.destination === '/sys') return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
      return m.options ? { ...m, options: m.options.filter((o) => !o.startsWith('uid=') && !o.startsWith('gid=')) } : m;
    });
  }
  return spec;
}

function seccomp(): NonNullable<NonNullable<Features['linux']>['seccomp']> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return { ...(require('./seccomp') as typeof import('./seccomp')).seccompFeatures() };
}

function kernelAtLeast(major: number, minor: number): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const [a, b] = (require('node:os') as typeof import('node:os')).release().split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

/** `features`: what this build supports, and nothing it does not. */
export function features(): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: [...HOOK_STAGES],
    mountOptions: [...Object.keys(MOUNT_FLAGS), ...Object.keys(MOUNT_PROPAGATION), 'idmap', 'ridmap'].sort(),
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
      capabilities: [...CAPABILITIES],
      // What berth implements (as runc reports what it was built with): the v1 and v2 managers,
      // rdma limits on both; no systemd D-Bus driver (a "slice:prefix:name" path maps to cgroupfs).
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: seccomp(),
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      // mount_setattr(MOUNT_ATTR_IDMAP): Linux 5.12 and later
      mountExtensions: { idmap: { enabled: kernelAtLeast(5, 12) } },
      netDevices: { enabled: false },
    },
    annotations: { 'org.opencontainers.runtime-spec.features.berth.version': '0.1.0' },
  };
}
