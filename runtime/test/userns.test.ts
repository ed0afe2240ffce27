import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Spec } from '@berth/spec';
import { Scratch, berth, exec, runc, uniqueId, waitExit, type Result } from './helpers/bundle';

let s: Scratch;
let root: string;
let runcRoot: string;
let n = 0;

beforeAll(async () => {
  s = await Scratch.create();
  // The container's root is an unprivileged host uid: the path to the rootfs must be
  // searchable for it (the caller's job, as with runc).
  fs.chmodSync(s.dir, 0o711);
  root = s.stateRoot;
  runcRoot = path.join(s.dir, 'runc-state');
});
afterEach(async () => {
  for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) await berth(root, ['delete', '--force', id]);
  for (const id of fs.existsSync(runcRoot) ? fs.readdirSync(runcRoot) : []) await runc(runcRoot, ['delete', '--force', id]);
});
afterAll(() => s.remove());

const HOST_ID = 100000;

/** A new user namespace mapping 0..65535 to HOST_ID.. (the usual subuid range). */
function userNs(spec: Spec): void {
  spec.linux!.namespaces!.push({ type: 'user' });
  spec.linux!.uidMappings = [{ containerID: 0, hostID: HOST_ID, size: 65536 }];
  spec.linux!.gidMappings = [{ containerID: 0, hostID: HOST_ID, size: 65536 }];
}

async function run(cli: typeof berth, args: string[], edit: (spec: Spec) => void): Promise<Result> {
  const state = cli === berth ? root : runcRoot;
  return cli(state, ['run', '--bundle', s.bundle(args, edit), uniqueId(`userns-${++n}`)]);
}

describe('user namespaces', () => {
  test('the init is root in a namespace with the configured maps; the host sees the mapped ids', async () => {
    const id = uniqueId(`userns-${++n}`);
    const pidFile = path.join(s.dir, `${id}.pid`);
    const created = await berth(root, ['create', '--bundle', s.bundle(['sleep', '1000'], userNs), '--pid-file', pidFile, id]);
    expect(created.stderr).toBe('');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', String(HOST_ID), '65536']);
    expect(fs.readFileSync(`/proc/${pid}/gid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', String(HOST_ID), '65536']);
    expect(fs.readlinkSync(`/proc/${pid}/ns/user`)).not.toBe(fs.readlinkSync('/proc/self/ns/user'));
    const uids = /^Uid:\s*(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1].split(/\s+/);
    expect(uids).toEqual([String(HOST_ID), String(HOST_ID), String(HOST_ID), String(HOST_ID)]);
    expect((await berth(root, ['start', id])).code).toBe(0);

    // exec joins the user namespace first, then the others
    const r = await berth(root, ['exec', id, 'sh', '-c', 'id -u; id -g; cat /proc/self/uid_map; readlink /proc/self/ns/user']);
    expect(r.stderr).toBe('');
    const [u, g, map, ns] = r.stdout.trim().split('\n');
    expect([u, g]).toEqual(['0', '0']);
    expect(map.trim().split(/\s+/)).toEqual(['0', String(HOST_ID), '65536']);
    expect(ns).toBe(fs.readlinkSync(`/proc/${pid}/ns/user`));
  });

  test('the same view as runc on the same config', async () => {
    const script = 'id; cat /proc/self/uid_map /proc/self/gid_map; grep -E "^Cap(Eff|Bnd)" /proc/self/status; stat -c "%u %g %n" / /dev/null /proc; touch /dev/shm/x && stat -c "%u %g" /dev/shm/x';
    const ours = await run(berth, ['sh', '-c', script], userNs);
    const theirs = await run(runc, ['sh', '-c', script], userNs);
    expect(ours.stderr).toBe(theirs.stderr);
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.code).toBe(theirs.code);
    expect(ours.stdout).toContain('uid=0(root) gid=0(root)');
  });

  test('`spec --rootless` writes a config that runs, mapping the caller', async () => {
    const dir = path.join(s.dir, `rootless-${++n}`);
    fs.mkdirSync(dir);
    expect((await berth(root, ['spec', '--rootless', '--bundle', dir])).code).toBe(0);
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Spec;
    expect(spec.linux!.uidMappings).toEqual([{ containerID: 0, hostID: process.getuid!(), size: 1 }]);
    spec.process!.terminal = false;
    spec.process!.args = ['sh', '-c', 'id -u; cat /proc/self/uid_map'];
    spec.root = { path: s.rootfs, readonly: true };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
    const r = await berth(root, ['run', '--bundle', dir, uniqueId(`rootless-${n}`)]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')[0]).toBe('0');
    expect(r.stdout.trim().split('\n')[1].trim().split(/\s+/)).toEqual(['0', String(process.getuid!()), '1']);
  });

  test('joins a user namespace by path', async () => {
    const first = uniqueId(`userns-${++n}`);
    const pidFile = path.join(s.dir, `${first}.pid`);
    expect((await berth(root, ['create', '--bundle', s.bundle(['sleep', '1000'], userNs), '--pid-file', pidFile, first])).stderr).toBe('');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const r = await run(berth, ['sh', '-c', 'id -u; cat /proc/self/uid_map'], (spec) => {
      spec.linux!.namespaces!.push({ type: 'user', path: `/proc/${pid}/ns/user` });
      spec.linux!.namespaces = spec.linux!.namespaces!.map((ns) => (ns.type === 'network' ? { type: 'network', path: `/proc/${pid}/ns/net` } : ns));
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')[1].trim().split(/\s+/)).toEqual(['0', String(HOST_ID), '65536']);
    waitExit(pid, 0);
  });

  test('bad mappings are refused naming the field', async () => {
    const cases: [(spec: Spec) => void, string][] = [
      [(spec) => { userNs(spec); delete spec.linux!.uidMappings; }, '$.linux.uidMappings: a new user namespace needs uid mappings'],
      [(spec) => { userNs(spec); spec.linux!.gidMappings = [{ containerID: 1, hostID: HOST_ID, size: 10 }]; }, '$.linux.gidMappings: user namespaces enabled, but no root user mapping found in config'],
      [(spec) => { spec.linux!.uidMappings = [{ containerID: 0, hostID: HOST_ID, size: 1 }]; }, '$.linux.uidMappings: id mappings need a new user namespace'],
      [(spec) => { userNs(spec); spec.linux!.uidMappings!.push({ containerID: 10, hostID: 0, size: 1 }); }, '$.linux.uidMappings[1]: overlaps $.linux.uidMappings[0]'],
    ];
    for (const [edit, message] of cases) {
      const r = await run(berth, ['true'], edit);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
    }
    expect(fs.existsSync(root) ? fs.readdirSync(root) : []).toEqual([]);
  });
});

describe('idmapped mounts', () => {
  const data = () => {
    const dir = path.join(s.dir, `idmap-data-${++n}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    return dir;
  };

  test('a bind with its own uidMappings shows the files through them; the host files keep their owner', async () => {
    const dir = data();
    const r = await run(berth, ['stat', '-c', '%u %g', '/data/f', '/plain/f'], (spec) => {
      spec.mounts!.push({ destination: '/data', type: 'bind', source: dir, options: ['bind', 'ro'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 2000, size: 1 }] });
      spec.mounts!.push({ destination: '/plain', type: 'bind', source: dir, options: ['bind', 'ro'] });
    });
    expect(r).toMatchObject({ code: 0, stdout: '1000 2000\n0 0\n', stderr: '' });
    expect(fs.statSync(path.join(dir, 'f')).uid).toBe(0);
  });

  test('`idmap` in a user namespace maps the host\'s root to the container\'s; without it the files are nobody\'s', async () => {
    const dir = data();
    const r = await run(berth, ['sh', '-c', 'stat -c "%u %g" /data/f /plain/f; touch /data/new && echo wrote'], (spec) => {
      userNs(spec);
      spec.mounts!.push({ destination: '/data', type: 'bind', source: dir, options: ['bind', 'idmap'] });
      spec.mounts!.push({ destination: '/plain', type: 'bind', source: dir, options: ['bind', 'ro'] });
    });
    expect(r).toMatchObject({ code: 0, stdout: '0 0\n65534 65534\nwrote\n', stderr: '' });
    // written by the container's root: owned by the host's root on disk, as if the host wrote it
    expect(fs.statSync(path.join(dir, 'new')).uid).toBe(0);
  });

  test('idmap refusals name the mount', async () => {
    const cases: [(spec: Spec) => void, string][] = [
      [(spec) => { spec.mounts!.push({ destination: '/data', type: 'bind', source: '/tmp', options: ['bind', 'idmap'] }); }, "$.mounts[7].options: idmap without uidMappings/gidMappings needs the container's user namespace"],
      [(spec) => { spec.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }); }, '$.mounts[7]: idmapped mounts must be bind mounts'],
      [(spec) => { spec.mounts!.push({ destination: '/data', type: 'bind', source: '/tmp', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }); }, '$.mounts[7].gidMappings: an idmapped mount needs gid mappings'],
    ];
    for (const [edit, message] of cases) {
      const r = await run(berth, ['true'], edit);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
    }
  });
});

describe('time namespaces', () => {
  const YEAR = 365 * 86400;
  const timeNs = (spec: Spec) => {
    spec.linux!.namespaces!.push({ type: 'time' });
    spec.linux!.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: YEAR, nanosecs: 5 } };
  };

  test('linux.timeOffsets shift the container\'s clocks; exec joins the same namespace', async () => {
    const id = uniqueId(`time-${++n}`);
    const pidFile = path.join(s.dir, `${id}.pid`);
    expect((await berth(root, ['create', '--bundle', s.bundle(['sleep', '1000'], timeNs), '--pid-file', pidFile, id])).stderr).toBe('');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const offsets = fs.readFileSync(`/proc/${pid}/timens_offsets`, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(offsets).toEqual([['monotonic', '86400', '0'], ['boottime', String(YEAR), '5']]);
    expect((await berth(root, ['start', id])).code).toBe(0);
    const r = await berth(root, ['exec', id, 'cat', '/proc/uptime']);
    expect(r.stderr).toBe('');
    const hostUptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    expect(Number(r.stdout.split(' ')[0]) - hostUptime).toBeGreaterThan(YEAR - 60);
    expect(fs.readlinkSync(`/proc/${pid}/ns/time`)).not.toBe(fs.readlinkSync('/proc/self/ns/time'));
  });

  test('offsets without a time namespace, or for an unknown clock, are refused naming the field', async () => {
    const without = await run(berth, ['true'], (spec) => {
      spec.linux!.timeOffsets = { monotonic: { secs: 1 } };
    });
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('$.linux.timeOffsets: offsets need a new time namespace');
    const unknown = await run(berth, ['true'], (spec) => {
      timeNs(spec);
      spec.linux!.timeOffsets = { realtime: { secs: 1 } };
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('$.linux.timeOffsets.realtime: unknown clock');
  });
});

describe('personality, scheduler, I/O priority and memory policy', () => {
  test('are applied to the container\'s process (and to exec\'d ones)', async () => {
    const id = uniqueId(`sched-${++n}`);
    const pidFile = path.join(s.dir, `${id}.pid`);
    const bundle = s.bundle(['sleep', '1000'], (spec) => {
      spec.linux!.personality = { domain: 'LINUX32' };
      spec.process!.scheduler = { policy: 'SCHED_BATCH', nice: 7 };
      spec.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 };
      spec.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
    });
    expect((await berth(root, ['create', '--bundle', bundle, '--pid-file', pidFile, id])).stderr).toBe('');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect([fields[16], fields[38]]).toEqual(['7', '3']); // nice, policy SCHED_BATCH
    expect((await exec('ionice', ['-p', String(pid)])).stdout).toBe('best-effort: prio 6\n');
    expect(fs.readFileSync(`/proc/${pid}/numa_maps`, 'utf8').split('\n')[0]).toMatch(/^[0-9a-f]+ bind:0 /);
    expect((await berth(root, ['start', id])).code).toBe(0);
    const r = await berth(root, ['exec', id, 'sh', '-c', 'uname -m; cut -d" " -f19 /proc/self/stat']);
    expect(r).toMatchObject({ stdout: 'i686\n7\n', stderr: '' });
  });

  test('values the kernel would refuse are refused naming the field', async () => {
    const cases: [(spec: Spec) => void, string][] = [
      [(spec) => { spec.linux!.personality = { domain: 'LINUX', flags: ['x'] }; }, '$.linux.personality.flags'],
      [(spec) => { spec.process!.scheduler = { policy: 'SCHED_ISO' }; }, '$.process.scheduler.policy: SCHED_ISO is not a Linux scheduling policy'],
      [(spec) => { spec.process!.scheduler = { policy: 'SCHED_FIFO' }; }, '$.process.scheduler.priority: SCHED_FIFO needs a priority within 1..99'],
      [(spec) => { spec.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 }; }, '$.process.ioPriority.priority: 8 is not within 0..7'],
      [(spec) => { spec.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0-x' }; }, '$.linux.memoryPolicy.nodes: \\"0-x\\" is not a node list'],
      [(spec) => { spec.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '1000' }; }, 'set_mempolicy mode 0x2: EINVAL'],
    ];
    for (const [edit, message] of cases) {
      const r = await run(berth, ['true'], edit);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
    }
  });
});
