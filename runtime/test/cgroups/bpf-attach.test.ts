import * as fs from 'node:fs';
import * as os from 'node:os';
import { BpfDeviceFilterAttacher, BpfSyscalls, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, BPF_F_REPLACE, BPF_PROG_TYPE_CGROUP_DEVICE, deviceFilter } from '../../src/cgroups';

/*
 * The attach sequence over a recording stand-in for the bpf(2) binding
 * (the addon does not have one yet): which commands, with which flags, and
 * that every fd it opened is closed again.
 */

function fakeBpf(attachedIds: number[]) {
  const calls: string[] = [];
  const opened: number[] = [];
  const fd = () => {
    const n = fs.openSync('/dev/null', 'r');
    opened.push(n);
    return n;
  };
  const names = new Map<number, string>();
  const bpf: BpfSyscalls = {
    progLoad: (type, insns, license) => {
      const n = fd();
      names.set(n, 'new');
      calls.push(`load type=${type} insns=${insns.length / 8} license=${license}`);
      return n;
    },
    progQuery: (_t, attachType) => {
      calls.push(`query ${attachType}`);
      return attachedIds;
    },
    progGetFdById: (id) => {
      const n = fd();
      names.set(n, `old${id}`);
      return n;
    },
    progAttach: (_t, prog, attachType, flags, replace) =>
      calls.push(`attach ${names.get(prog)} type=${attachType} flags=${flags}${replace === undefined ? '' : ` replace=${names.get(replace)}`}`),
    progDetach: (_t, prog, attachType) => calls.push(`detach ${names.get(prog)} type=${attachType}`),
  };
  return { bpf, calls, opened };
}

const program = deviceFilter([{ type: 'c', major: 1, minor: 3, access: 'rwm', allow: true }]);
const isOpen = (fd: number) => fs.existsSync(`/proc/self/fd/${fd}`);

test.each([
  [[], [`attach new type=${BPF_CGROUP_DEVICE} flags=${BPF_F_ALLOW_MULTI}`]],
  [[7], [`attach new type=${BPF_CGROUP_DEVICE} flags=${BPF_F_ALLOW_MULTI | BPF_F_REPLACE} replace=old7`]],
  [[7, 9], [`attach new type=${BPF_CGROUP_DEVICE} flags=${BPF_F_ALLOW_MULTI}`, `detach old7 type=${BPF_CGROUP_DEVICE}`, `detach old9 type=${BPF_CGROUP_DEVICE}`]],
])('with %j attached before: load, then %j, closing every fd', (ids, expected) => {
  const { bpf, calls, opened } = fakeBpf(ids);
  new BpfDeviceFilterAttacher(bpf).attach(os.tmpdir(), program);
  expect(calls).toEqual([
    `query ${BPF_CGROUP_DEVICE}`,
    `load type=${BPF_PROG_TYPE_CGROUP_DEVICE} insns=${program.insns.length} license=Apache`,
    ...expected,
  ]);
  expect(opened.filter(isOpen)).toEqual([]);
});

test('a failing load is reported with the cgroup, and nothing stays open', () => {
  const { bpf, opened } = fakeBpf([3]);
  bpf.progLoad = () => {
    throw new Error('EPERM');
  };
  expect(() => new BpfDeviceFilterAttacher(bpf).attach(os.tmpdir(), program)).toThrow(`cannot attach the device filter to ${os.tmpdir()}: EPERM`);
  expect(opened.filter(isOpen)).toEqual([]);
});
