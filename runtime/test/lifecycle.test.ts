import * as fs from 'node:fs';
import * as path from 'node:path';
import { runtimeState } from '@berth/spec';
import { Scratch, berth, runc, uniqueId, waitExit } from './helpers/bundle';

let s: Scratch;
let root: string;
const created: string[] = [];

beforeAll(async () => {
  s = await Scratch.create();
  root = s.stateRoot;
});
afterEach(async () => {
  for (const id of created.splice(0)) await berth(root, ['delete', '--force', id]);
});
afterAll(() => s.remove());

async function create(id: string, bundle: string, extra: string[] = []) {
  created.push(id);
  const r = await berth(root, ['create', '--bundle', bundle, ...extra, id]);
  expect(r.stderr).not.toMatch(/level=error/);
  expect(r.code).toBe(0);
  return r;
}

async function state(id: string) {
  const r = await berth(root, ['state', id]);
  expect(r.code).toBe(0);
  return runtimeState.parse(r.stdout, `state ${id}`);
}

/**
 * This namespace's mounts at or below `dir`, whole mountinfo lines. The bundle, the rootfs,
 * the state root and every mount point a test makes live under the scratch dir, so a mount
 * leaked by create shows here, while other processes mounting elsewhere (concurrent suites)
 * do not.
 */
function mountsUnder(dir: string): string[] {
  const real = fs.realpathSync(dir);
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => {
      const point = line.split(' ')[4] ?? '';
      return point === real || point.startsWith(`${real}/`);
    });
}

describe('lifecycle', () => {
  test('create, start, state, kill, delete of a busybox container', async () => {
    const id = uniqueId('c1');
    const bundle = s.bundle(['sleep', '1000']);
    const pidFile = path.join(s.dir, `${id}.pid`);
    await create(id, bundle, ['--pid-file', pidFile]);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    let st = await state(id);
    expect(st).toMatchObject({ id, status: 'created', pid, bundle });
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain('sleep'); // still berth-init
    // CVE-2019-5736: init runs from a sealed memfd, so /proc/PID/exe is not the host binary and cannot be written
    expect(fs.readlinkSync(`/proc/${pid}/exe`)).toBe('/memfd:berth-init (deleted)');
    expect(() => {
      const fd = fs.openSync(`/proc/${pid}/exe`, 'r+');
      try {
        fs.writeSync(fd, 'overwritten');
      } finally {
        fs.closeSync(fd);
      }
    }).toThrow(/ETXTBSY|EPERM/);

    expect((await berth(root, ['start', id])).code).toBe(0);
    st = await state(id);
    expect(st.status).toBe('running');
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\x001000\x00');

    const list = await berth(root, ['list', '-f', 'json']);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id, pid, status: 'running' })]);

    expect((await berth(root, ['kill', id, 'KILL'])).code).toBe(0);
    expect(waitExit(pid)).toBe(true);
    st = await state(id);
    expect(st.status).toBe('stopped');

    expect((await berth(root, ['delete', id])).code).toBe(0);
    expect(fs.existsSync(path.join(root, id))).toBe(false);
    const gone = await berth(root, ['state', id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`container ${id} does not exist`);
  });

  test('start twice, kill after exit, delete while running', async () => {
    const id = uniqueId('c2');
    const bundle = s.bundle(['sleep', '1000']);
    await create(id, bundle);
    const { pid } = await state(id);
    expect((await berth(root, ['start', id])).code).toBe(0);
    const again = await berth(root, ['start', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cannot start an already running container');

    const del = await berth(root, ['delete', id]);
    expect(del.code).toBe(1);
    expect(del.stderr).toContain(`cannot delete container ${id} that is not stopped: running`);

    expect((await berth(root, ['kill', id])).code).toBe(0); // SIGTERM: pid 1 has no handler, so it is ignored
    expect((await state(id)).status).toBe('running');
    expect((await berth(root, ['delete', '--force', id])).code).toBe(0);
    expect(waitExit(pid!)).toBe(true);
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });

  test('kill of a stopped container says "container not running"; state after the process died is stopped', async () => {
    const id = uniqueId('c3');
    const bundle = s.bundle(['true']);
    await create(id, bundle);
    const { pid } = await state(id);
    expect((await berth(root, ['start', id])).code).toBe(0);
    expect(waitExit(pid!)).toBe(true);
    expect(await state(id)).toMatchObject({ status: 'stopped', pid: 0 });
    const kill = await berth(root, ['kill', id, '9']);
    expect(kill.code).toBe(1);
    expect(kill.stderr).toContain('container not running');
    const start = await berth(root, ['start', id]);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('cannot start a container that has stopped');
    expect((await berth(root, ['delete', id])).code).toBe(0);
  });

  test('delete of a created container kills its waiting process', async () => {
    const id = uniqueId('c4');
    await create(id, s.bundle(['true']));
    const { pid } = await state(id);
    expect((await berth(root, ['delete', id])).code).toBe(0);
    expect(waitExit(pid!)).toBe(true);
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });

  test('ps lists the container processes', async () => {
    const id = uniqueId('c5');
    await create(id, s.bundle(['sh', '-c', 'sleep 1000 & exec sleep 1001']));
    expect((await berth(root, ['start', id])).code).toBe(0);
    const { pid } = await state(id);
    // The background sleep is forked before the exec: wait until both exist.
    let pids: number[] = [];
    for (let i = 0; i < 200 && pids.length < 2; i++) pids = JSON.parse((await berth(root, ['ps', '-f', 'json', id])).stdout);
    expect(pids).toContain(pid);
    expect(pids).toHaveLength(2);
    const table = await berth(root, ['ps', id]);
    expect(table.stdout.split('\n')[0]).toMatch(/PID/);
    expect(table.stdout).toContain('sleep 1001');
    expect(table.stdout).toContain('sleep 1000');
    expect((await berth(root, ['kill', '--all', id, 'KILL'])).code).toBe(0);
    for (const p of pids) expect(waitExit(p)).toBe(true);
  });
});

describe('bad input', () => {
  test('a duplicate id, an id with / or .., an unknown id', async () => {
    const dup = uniqueId('dup');
    const bundle = s.bundle(['true']);
    await create(dup, bundle);
    const again = await berth(root, ['create', '--bundle', bundle, dup]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`container with id exists: ${dup}`);
    for (const [id, why] of [['a/b', 'contains /'], ['..', 'is . or ..']]) {
      const r = await berth(root, ['create', '--bundle', bundle, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(why);
    }
    const unknown = await berth(root, ['kill', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('container nope does not exist');
    expect((await berth(root, ['delete', 'nope'])).code).toBe(1);
    // runc (and containerd's cleanup) treat a forced delete of a missing container as done
    expect((await berth(root, ['delete', '--force', 'nope'])).code).toBe(0);
    expect((await runc(path.join(s.dir, 'runc-state'), ['delete', '--force', 'nope'])).code).toBe(0);
  });

  test('an invalid config names the JSON path and leaves nothing behind', async () => {
    const id = uniqueId('bad1');
    const bundle = s.bundle(['true'], (spec) => {
      (spec.process as unknown as Record<string, unknown>).cwd = 42;
    });
    const r = await berth(root, ['create', '--bundle', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('$.process.cwd');
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });

  test('a missing rootfs names its path', async () => {
    const id = uniqueId('bad2');
    const bundle = s.bundle(['true'], (spec) => (spec.root = { path: 'no-such-rootfs' }));
    const r = await berth(root, ['create', '--bundle', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`rootfs ${path.join(bundle, 'no-such-rootfs')} ($.root.path) does not exist`);
  });

  test('an unsupported feature is refused, not ignored', async () => {
    const id = uniqueId('bad3');
    const bundle = s.bundle(['true'], (spec) => (spec.linux!.intelRdt = { closID: 'berth' }));
    const r = await berth(root, ['create', '--bundle', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('$.linux.intelRdt: Intel RDT is not supported by berth-runtime yet');
  });

  test('an error inside init names the step and errno; create leaves no state, mount or process', async () => {
    const id = uniqueId('bad4');
    const bundle = s.bundle(['true'], (spec) => spec.mounts!.push({ destination: '/mnt', type: 'nosuchfs', source: 'x' }));
    const before = mountsUnder(s.dir);
    const r = await berth(root, ['create', '--bundle', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('mount nosuchfs on /mnt: ENODEV');
    expect(fs.existsSync(path.join(root, id))).toBe(false);
    expect(mountsUnder(s.dir)).toEqual(before);
  });

  test('a command that is not in the container fails create', async () => {
    const id = uniqueId('bad5');
    const r = await berth(root, ['create', '--bundle', s.bundle(['no-such-cmd']), id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('exec: \\"no-such-cmd\\": executable file not found in $PATH');
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });

  test('--log-format json writes the error as a json line to --log', async () => {
    const log = path.join(s.dir, 'log.json');
    const r = await berth(root, ['--log', log, '--log-format', 'json', 'state', 'missing']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('container missing does not exist\n');
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1])).toEqual({ level: 'error', msg: 'container missing does not exist', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });
});
