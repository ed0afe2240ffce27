import * as fs from 'node:fs';
import * as path from 'node:path';
import { runtimeState } from '@berth/spec';
import { Scratch, berth, runc, waitExit } from './helpers/bundle';

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

describe('lifecycle', () => {
  test('create, start, state, kill, delete of a busybox container', async () => {
    const bundle = s.bundle(['sleep', '1000']);
    const pidFile = path.join(s.dir, 'c1.pid');
    await create('c1', bundle, ['--pid-file', pidFile]);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    let st = await state('c1');
    expect(st).toMatchObject({ id: 'c1', status: 'created', pid, bundle });
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

    expect((await berth(root, ['start', 'c1'])).code).toBe(0);
    st = await state('c1');
    expect(st.status).toBe('running');
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\x001000\x00');

    const list = await berth(root, ['list', '-f', 'json']);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id: 'c1', pid, status: 'running' })]);

    expect((await berth(root, ['kill', 'c1', 'KILL'])).code).toBe(0);
    expect(waitExit(pid)).toBe(true);
    st = await state('c1');
    expect(st.status).toBe('stopped');

    expect((await berth(root, ['delete', 'c1'])).code).toBe(0);
    expect(fs.existsSync(path.join(root, 'c1'))).toBe(false);
    const gone = await berth(root, ['state', 'c1']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('container c1 does not exist');
  });

  test('start twice, kill after exit, delete while running', async () => {
    const bundle = s.bundle(['sleep', '1000']);
    await create('c2', bundle);
    const { pid } = await state('c2');
    expect((await berth(root, ['start', 'c2'])).code).toBe(0);
    const again = await berth(root, ['start', 'c2']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cannot start an already running container');

    const del = await berth(root, ['delete', 'c2']);
    expect(del.code).toBe(1);
    expect(del.stderr).toContain('cannot delete container c2 that is not stopped: running');

    expect((await berth(root, ['kill', 'c2'])).code).toBe(0); // SIGTERM: pid 1 has no handler, so it is ignored
    expect((await state('c2')).status).toBe('running');
    expect((await berth(root, ['delete', '--force', 'c2'])).code).toBe(0);
    expect(waitExit(pid!)).toBe(true);
    expect(fs.existsSync(path.join(root, 'c2'))).toBe(false);
  });

  test('kill of a stopped container says "container not running"; state after the process died is stopped', async () => {
    const bundle = s.bundle(['true']);
    await create('c3', bundle);
    const { pid } = await state('c3');
    expect((await berth(root, ['start', 'c3'])).code).toBe(0);
    expect(waitExit(pid!)).toBe(true);
    expect(await state('c3')).toMatchObject({ status: 'stopped', pid: 0 });
    const kill = await berth(root, ['kill', 'c3', '9']);
    expect(kill.code).toBe(1);
    expect(kill.stderr).toContain('container not running');
    const start = await berth(root, ['start', 'c3']);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('cannot start a container that has stopped');
    expect((await berth(root, ['delete', 'c3'])).code).toBe(0);
  });

  test('delete of a created container kills its waiting process', async () => {
    await create('c4', s.bundle(['true']));
    const { pid } = await state('c4');
    expect((await berth(root, ['delete', 'c4'])).code).toBe(0);
    expect(waitExit(pid!)).toBe(true);
    expect(fs.existsSync(path.join(root, 'c4'))).toBe(false);
  });

  test('ps lists the container processes', async () => {
    await create('c5', s.bundle(['sh', '-c', 'sleep 1000 & exec sleep 1001']));
    expect((await berth(root, ['start', 'c5'])).code).toBe(0);
    const { pid } = await state('c5');
    // The background sleep is forked before the exec: wait until both exist.
    let pids: number[] = [];
    for (let i = 0; i < 200 && pids.length < 2; i++) pids = JSON.parse((await berth(root, ['ps', '-f', 'json', 'c5'])).stdout);
    expect(pids).toContain(pid);
    expect(pids).toHaveLength(2);
    const table = await berth(root, ['ps', 'c5']);
    expect(table.stdout.split('\n')[0]).toMatch(/PID/);
    expect(table.stdout).toContain('sleep 1001');
    expect(table.stdout).toContain('sleep 1000');
    expect((await berth(root, ['kill', '--all', 'c5', 'KILL'])).code).toBe(0);
    for (const p of pids) expect(waitExit(p)).toBe(true);
  });
});

describe('bad input', () => {
  test('a duplicate id, an id with / or .., an unknown id', async () => {
    const bundle = s.bundle(['true']);
    await create('dup', bundle);
    const dup = await berth(root, ['create', '--bundle', bundle, 'dup']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('container with id exists: dup');
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
    const bundle = s.bundle(['true'], (spec) => {
      (spec.process as unknown as Record<string, unknown>).cwd = 42;
    });
    const r = await berth(root, ['create', '--bundle', bundle, 'bad1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('$.process.cwd');
    expect(fs.existsSync(path.join(root, 'bad1'))).toBe(false);
  });

  test('a missing rootfs names its path', async () => {
    const bundle = s.bundle(['true'], (spec) => (spec.root = { path: 'no-such-rootfs' }));
    const r = await berth(root, ['create', '--bundle', bundle, 'bad2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`rootfs ${path.join(bundle, 'no-such-rootfs')} ($.root.path) does not exist`);
  });

  test('an unsupported feature is refused, not ignored', async () => {
    const bundle = s.bundle(['true'], (spec) => (spec.linux!.intelRdt = { closID: 'berth' }));
    const r = await berth(root, ['create', '--bundle', bundle, 'bad3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('$.linux.intelRdt: Intel RDT is not supported by berth-runtime yet');
  });

  test('an error inside init names the step and errno; create leaves no state, mount or process', async () => {
    const bundle = s.bundle(['true'], (spec) => spec.mounts!.push({ destination: '/mnt', type: 'nosuchfs', source: 'x' }));
    const before = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const r = await berth(root, ['create', '--bundle', bundle, 'bad4']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('mount nosuchfs on /mnt: ENODEV');
    expect(fs.existsSync(path.join(root, 'bad4'))).toBe(false);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toBe(before);
  });

  test('a command that is not in the container fails create', async () => {
    const r = await berth(root, ['create', '--bundle', s.bundle(['no-such-cmd']), 'bad5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('exec: \\"no-such-cmd\\": executable file not found in $PATH');
    expect(fs.existsSync(path.join(root, 'bad5'))).toBe(false);
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
