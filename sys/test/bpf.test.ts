import * as fs from 'node:fs';
import * as path from 'node:path';
import { BPF, SysError, bpf, closeFd } from '@berth/sys';

/** A cgroup v2 hierarchy: /sys/fs/cgroup itself, or a hybrid host's unified one. */
function cgroup2Root(): string {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.startsWith('cgroup2 ')) return left.split(' ')[4];
  }
  throw new Error('no cgroup2 hierarchy is mounted');
}

// mov r0, 1 ; exit  (allow every device)
const ALLOW_ALL = Buffer.from('b700000001000000' + '9500000000000000', 'hex');
// mov r0, 0 ; exit  (deny every device)
const DENY_ALL = Buffer.from('b700000000000000' + '9500000000000000', 'hex');

describe('bpf', () => {
  let dir: string;
  let cg: number;
  const fds: number[] = [];

  beforeEach(() => {
    dir = path.join(cgroup2Root(), `berth-bpf-test-${process.pid}`);
    fs.mkdirSync(dir);
    cg = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  });
  afterEach(() => {
    for (const fd of fds.splice(0)) {
      try {
        bpf.progDetach(cg, fd, BPF.CGROUP_DEVICE);
      } catch {
        // not attached
      }
      closeFd(fd);
    }
    fs.closeSync(cg);
    fs.rmdirSync(dir);
  });

  test('loads, attaches, replaces, queries and detaches a cgroup device filter', () => {
    const allow = bpf.progLoad(BPF.PROG_TYPE_CGROUP_DEVICE, ALLOW_ALL, 'Apache-2.0');
    fds.push(allow);
    expect(bpf.progQuery(cg, BPF.CGROUP_DEVICE)).toEqual([]);
    bpf.progAttach(cg, allow, BPF.CGROUP_DEVICE, BPF.F_ALLOW_MULTI);
    const [id] = bpf.progQuery(cg, BPF.CGROUP_DEVICE);
    expect(id).toBeGreaterThan(0);
    const byId = bpf.progGetFdById(id);
    closeFd(byId);

    const deny = bpf.progLoad(BPF.PROG_TYPE_CGROUP_DEVICE, DENY_ALL, 'Apache-2.0');
    fds.push(deny);
    bpf.progAttach(cg, deny, BPF.CGROUP_DEVICE, BPF.F_ALLOW_MULTI | BPF.F_REPLACE, allow);
    const after = bpf.progQuery(cg, BPF.CGROUP_DEVICE);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(id);

    bpf.progDetach(cg, deny, BPF.CGROUP_DEVICE);
    expect(bpf.progQuery(cg, BPF.CGROUP_DEVICE)).toEqual([]);
  });

  test('a program the verifier rejects is a SysError with the verifier log', () => {
    const noExit = Buffer.from('b700000001000000', 'hex'); // mov r0, 1 and no exit
    let err: unknown;
    try {
      fds.push(bpf.progLoad(BPF.PROG_TYPE_CGROUP_DEVICE, noExit, 'Apache-2.0'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SysError);
    expect((err as SysError).errno).toBe('EINVAL');
    expect((err as SysError).path).toMatch(/^BPF_PROG_LOAD: verifier: /);
  });
});
