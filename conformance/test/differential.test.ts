/**
 * The same busybox bundle under runc and berth-runtime, `run` in the
 * foreground: stdout and exit status must be identical.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Spec } from '@berth/spec';
import { CLI_ENTRY, Scratch, berth, exec, runc, waitExit } from '../../runtime/test/helpers/bundle';

let s: Scratch;
let netnsHolder: ChildProcess;
let n = 0;

beforeAll(async () => {
  s = await Scratch.create();
  fs.mkdirSync(path.join(s.dir, 'data'));
  fs.writeFileSync(path.join(s.dir, 'data', 'f'), 'host data\n');
  fs.mkdirSync(path.join(s.dir, 'data', 'sub'));
  // A network namespace to join by path, held by a process outside any container.
  netnsHolder = spawn('unshare', ['--net', 'sleep', '1000'], { stdio: 'ignore' });
  await new Promise((resolve) => netnsHolder.once('spawn', resolve));
  // unshare execs sleep after entering the namespace: wait for that
  while (fs.readlinkSync(`/proc/${netnsHolder.pid}/exe`) !== '/usr/bin/sleep') await new Promise((r) => setImmediate(r));
});
afterAll(() => {
  netnsHolder.kill('SIGKILL');
  waitExit(netnsHolder.pid!);
  s.remove();
});

const sh = (script: string) => ['sh', '-c', script];
const ns = (spec: Spec) => spec.linux!.namespaces!;

interface Variant {
  name: string;
  args: () => string[];
  edit?: (spec: Spec) => void;
  flags?: string[];
  /** Run both runtimes under this prefix (e.g. setpriv dropping a capability). */
  wrap?: string[];
  /** What the output must also match, where equality with runc alone would prove too little. */
  expect?: RegExp;
}

const variants: Variant[] = [
  { name: 'hostname', args: () => ['hostname'], edit: (c) => (c.hostname = 'diff-host') },
  { name: 'env', args: () => sh('env | sort'), edit: (c) => c.process!.env!.push('FOO=bar baz', 'EMPTY=') },
  { name: 'cwd', args: () => ['pwd'], edit: (c) => (c.process!.cwd = '/tmp') },
  { name: 'cwd created when missing', args: () => ['pwd'], edit: (c) => { c.process!.cwd = '/dev/new/dir'; } },
  { name: 'user and additional groups', args: () => ['id'], edit: (c) => (c.process!.user = { uid: 1000, gid: 1001, additionalGids: [10, 20] }) },
  { name: 'umask', args: () => sh('umask'), edit: (c) => (c.process!.user!.umask = 0o027) },
  { name: 'readonly root', args: () => sh('touch /x 2>/dev/null; echo $?') },
  { name: 'writable root', args: () => sh('touch /tmp/x && echo ok; rm /tmp/x'), edit: (c) => (c.root!.readonly = false) },
  {
    name: 'tmpfs with options',
    args: () => sh("grep ' /mnt ' /proc/self/mountinfo | cut -d' ' -f5,6,9-"),
    edit: (c) => c.mounts!.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m', 'mode=700'] }),
  },
  {
    name: 'bind ro',
    args: () => sh('cat /data/f; touch /data/g 2>/dev/null; echo $?'),
    edit: (c) => c.mounts!.push({ destination: '/data', type: 'bind', source: path.join(s.dir, 'data'), options: ['bind', 'ro'] }),
  },
  {
    name: 'rbind of a file',
    args: () => sh('cat /etc/f.txt'),
    edit: (c) => c.mounts!.push({ destination: '/etc/f.txt', type: 'none', source: path.join(s.dir, 'data', 'f'), options: ['rbind', 'ro'] }),
  },
  { name: 'masked paths', args: () => sh('wc -c < /proc/kcore; ls /sys/firmware | wc -l; grep -c . /proc/keys') },
  { name: 'readonly paths', args: () => sh('echo 1 > /proc/sys/kernel/domainname 2>/dev/null; echo $?; grep " /proc/sys " /proc/self/mountinfo | cut -d" " -f6 | cut -d, -f1') },
  {
    name: 'capabilities',
    args: () => sh('grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status'),
    edit: (c) => {
      const caps = ['CAP_CHOWN', 'CAP_NET_RAW', 'CAP_SYS_ADMIN'];
      c.process!.capabilities = { bounding: [...caps, 'CAP_KILL'], effective: caps, permitted: caps, inheritable: ['CAP_CHOWN'], ambient: ['CAP_CHOWN'] };
    },
  },
  { name: 'capabilities as a non-root user', args: () => sh('grep -E "^Cap" /proc/self/status'), edit: (c) => (c.process!.user = { uid: 1000, gid: 1000 }) },
  {
    name: 'rlimits',
    args: () => sh('ulimit -n; ulimit -Hn; ulimit -c'),
    edit: (c) => c.process!.rlimits!.push({ type: 'RLIMIT_CORE', soft: 4096, hard: 8192 }),
  },
  { name: 'noNewPrivileges', args: () => sh('grep NoNewPrivs /proc/self/status') },
  { name: 'no noNewPrivileges', args: () => sh('grep NoNewPrivs /proc/self/status'), edit: (c) => (c.process!.noNewPrivileges = false) },
  { name: 'oomScoreAdj', args: () => ['cat', '/proc/self/oom_score_adj'], edit: (c) => (c.process!.oomScoreAdj = 123) },
  { name: 'pid 1', args: () => sh('echo $$; ps -o pid,comm') },
  { name: 'only lo in a new netns', args: () => sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '") },
  {
    name: 'joined netns by path',
    args: () => sh(`[ "$(readlink /proc/self/ns/net)" = "${fs.readlinkSync(`/proc/${netnsHolder.pid}/ns/net`)}" ] && echo joined`),
    edit: (c) => (ns(c).find((x) => x.type === 'network')!.path = `/proc/${netnsHolder.pid}/ns/net`),
  },
  {
    name: 'ipc namespace',
    args: () => sh(`[ "$(readlink /proc/self/ns/ipc)" != "${fs.readlinkSync('/proc/self/ns/ipc')}" ] && echo private`),
  },
  { name: 'default devices and links', args: () => sh('ls /dev; stat -c "%n %F %t:%T %a %u:%g" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; readlink /dev/fd /dev/stdin /dev/stdout /dev/stderr /dev/ptmx') },
  {
    name: 'spec devices',
    args: () => sh('stat -c "%n %F %t:%T %a %u:%g" /dev/fuse /dev/sda9'),
    edit: (c) => {
      c.linux!.devices = [
        { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o640, uid: 0, gid: 0 },
        { path: '/dev/sda9', type: 'b', major: 8, minor: 9, fileMode: 0o600, uid: 1000, gid: 1000 },
      ];
    },
  },
  { name: 'mounts of the default spec', args: () => sh("cut -d' ' -f5,6,9 /proc/self/mountinfo | sort") },
  { name: 'sysctl', args: () => ['cat', '/proc/sys/net/ipv4/ip_forward'], edit: (c) => (c.linux!.sysctl = { 'net.ipv4.ip_forward': '1' }) },
  {
    name: 'seccomp errno rule, with no_new_privs',
    args: () => sh('mkdir /tmp/x 2>/dev/null; echo $?; mkdir -p /tmp/y/z 2>&1 | wc -l; echo alive'),
    edit: (c) => {
      c.root!.readonly = false;
      c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
    },
  },
  {
    name: "Docker's default seccomp profile, without no_new_privs",
    args: () => sh('echo start; unshare -r true 2>/dev/null; echo unshare $?; chroot / true; echo chroot $?; grep Seccomp: /proc/self/status'),
    edit: (c) => {
      c.process!.noNewPrivileges = false;
      c.linux!.seccomp = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'runtime', 'test', 'seccomp', 'fixtures', 'docker-default.json'), 'utf8'));
    },
  },
  {
    name: 'a new session keyring named after the container',
    args: () => sh("grep ' keyring  *_ses.diff-' /proc/keys | grep -c 'perm 3f1b0000'"),
    edit: (c) => (c.linux!.maskedPaths = c.linux!.maskedPaths!.filter((p) => p !== '/proc/keys')),
  },
  {
    name: '--no-new-keyring',
    args: () => sh("grep -c ' keyring  *_ses.diff-' /proc/keys"),
    edit: (c) => (c.linux!.maskedPaths = c.linux!.maskedPaths!.filter((p) => p !== '/proc/keys')),
    flags: ['--no-new-keyring'],
  },
  {
    name: 'devices bound from the host when mknod is not permitted',
    args: () => sh('stat -c "%n %F %t:%T" /dev/null /dev/zero /dev/tty /dev/fuse; grep -c " /dev/[a-z]* " /proc/self/mountinfo'),
    edit: (c) => (c.linux!.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }]),
    wrap: ['setpriv', '--bounding-set', '-mknod', '--'],
    // the nodes are binds: far more mounts under /dev than /dev/pts, /dev/shm and /dev/mqueue
    expect: /\/dev\/fuse character special file a:e5\n11\n$/,
  },
  { name: 'cgroup namespace', args: () => ['cat', '/proc/self/cgroup'], edit: (c) => ns(c).push({ type: 'cgroup' }) },
  { name: 'exit code passthrough', args: () => sh('echo out; exit 3') },
  { name: 'no pivot', args: () => sh('ls /; echo $$'), flags: ['--no-pivot'] },
  {
    name: 'createContainer hook mounts into the container before pivot_root',
    args: () => sh('cat /tmp/from-hook; grep " /tmp " /proc/self/mountinfo | cut -d" " -f5,9'),
    edit: (c) => (c.hooks = { createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'mount -t tmpfs -o size=1m tmpfs tmp && echo made by createContainer > tmp/from-hook'] }] }),
    expect: /^made by createContainer\n\/tmp tmpfs\n$/,
  },
  {
    name: 'startContainer hook: its stdin state, inside the container',
    args: () => sh(`sed -e 's/"ociVersion":"[^"]*",//' /tmp/state; echo`),
    edit: (c) => {
      c.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      c.annotations = { 'org.example.hook': 'yes' };
      c.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /tmp/state'], env: ['X=1'], timeout: 10 }] };
    },
    expect: /"status":"created","pid":1,"bundle":"[^"]+","annotations":\{"org.example.hook":"yes"\}/,
  },
  {
    name: 'prestart and createRuntime hooks in the runtime namespace, in order, with the state on stdin',
    args: () => sh(`cat /hooks/order; sed -e 's/"pid":[0-9]*/"pid":N/' -e 's/"ociVersion":"[^"]*",//' /hooks/state; echo`),
    edit: (c) => {
      const dir = fs.mkdtempSync(path.join(s.dir, 'hooks-'));
      // both runtimes use the same dir, one after the other: the first hook starts the file anew
      const record = (stage: string, redirect: string) => ({
        path: '/bin/sh',
        args: ['sh', '-c', `[ "$(readlink /proc/self/ns/mnt)" = "${fs.readlinkSync('/proc/self/ns/mnt')}" ] && echo ${stage} host ns ${redirect} ${dir}/order; cat > ${dir}/state`],
      });
      c.mounts!.push({ destination: '/hooks', type: 'bind', source: dir, options: ['rbind', 'ro'] });
      c.hooks = { prestart: [record('prestart', '>')], createRuntime: [record('createRuntime', '>>')] };
    },
    expect: /^prestart host ns\ncreateRuntime host ns\n\{"id":"diff-\d+","status":"creating","pid":N,/,
  },
  { name: 'uts, ipc, pid, mount but no network namespace', args: () => sh('ls /sys/class/net | grep -c lo'), edit: (c) => (c.linux!.namespaces = ns(c).filter((x) => x.type !== 'network')) },
  // cgroups (v1 hierarchies on the development hosts): the container's own cgroup under /sys/fs/cgroup
  {
    name: 'memory limit and reservation seen in the container\'s cgroup',
    args: () => sh('cd /sys/fs/cgroup/memory && cat memory.limit_in_bytes memory.soft_limit_in_bytes'),
    edit: (c) => (c.linux!.resources = { ...c.linux!.resources, memory: { limit: 48 << 20, reservation: 16 << 20 } }),
    expect: /^50331648\n16777216\n$/,
  },
  {
    name: 'pids limit in pids.max, and the fork beyond it refused',
    args: () => sh('cat /sys/fs/cgroup/pids/pids.max; sleep 100 & sleep 100 & echo forked'),
    edit: (c) => (c.linux!.resources = { ...c.linux!.resources, pids: { limit: 2 } }),
    expect: /^2\n/,
  },
  {
    name: 'cpu shares, quota and period',
    args: () => sh('cd /sys/fs/cgroup/cpu && cat cpu.shares cpu.cfs_quota_us cpu.cfs_period_us'),
    edit: (c) => (c.linux!.resources = { ...c.linux!.resources, cpu: { shares: 256, quota: 30_000, period: 60_000 } }),
    expect: /^256\n30000\n60000\n$/,
  },
  {
    name: 'device cgroup: a bound node outside the allowed list cannot be opened',
    args: () => sh('head -c 1 /dev/kmsg 2>&1; echo " $?"'),
    edit: (c) => c.mounts!.push({ destination: '/dev/kmsg', type: 'bind', source: '/dev/kmsg', options: ['bind'] }),
    expect: /Operation not permitted\n 1\n$/,
  },
  {
    name: 'memory limit OOM-kills the process: 137',
    args: () => ['tail', '/dev/zero'],
    edit: (c) => (c.linux!.resources = { ...c.linux!.resources, memory: { limit: 16 << 20 } }),
  },
  // user namespaces: the container's root is host uid 100000
  {
    name: 'user namespace with a 65536-id range',
    args: () => sh('id; cat /proc/self/uid_map /proc/self/gid_map; grep -E "^Cap(Eff|Bnd)" /proc/self/status; stat -c "%u %g %n" / /proc /dev/null; touch /dev/shm/x && stat -c "%u %g" /dev/shm/x'),
    edit: userNamespace(),
    expect: /^uid=0\(root\) gid=0\(root\)\n\s+0\s+100000\s+65536\n/,
  },
  {
    name: 'user namespace, a non-root user inside',
    args: () => sh('id; grep -E "^(Uid|Gid)" /proc/self/status'),
    edit: (c) => {
      userNamespace()(c);
      c.process!.user = { uid: 1000, gid: 1000, additionalGids: [5] };
    },
    expect: /^uid=1000 gid=1000 groups=5\nUid:\t1000\t/,
  },
];

/** A new user namespace mapping 0..65535 to 100000..; the rootfs path must be searchable by that uid. */
function userNamespace(): (c: Spec) => void {
  return (c) => {
    fs.chmodSync(s.dir, 0o711);
    ns(c).push({ type: 'user' });
    c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  };
}

describe('berth-runtime matches runc', () => {
  test.each(variants.map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    const bundle = s.bundle(v.args(), v.edit);
    const id = `diff-${++n}`;
    const flags = ['run', '--bundle', bundle, ...(v.flags ?? []), id];
    const [want, got] = v.wrap
      ? [
          await exec(v.wrap[0], [...v.wrap.slice(1), 'runc', '--root', path.join(s.dir, 'runc-state'), ...flags]),
          await exec(v.wrap[0], [...v.wrap.slice(1), process.execPath, CLI_ENTRY, '--root', s.stateRoot, ...flags]),
        ]
      : [await runc(path.join(s.dir, 'runc-state'), flags), await berth(s.stateRoot, flags)];
    expect(got.stderr).not.toMatch(/level=error/);
    expect({ code: got.code, stdout: got.stdout }).toEqual({ code: want.code, stdout: want.stdout });
    if (v.expect) expect(got.stdout).toMatch(v.expect);
    expect(fs.existsSync(path.join(s.stateRoot, id))).toBe(false);
  });
});
