import * as fs from 'node:fs';
import * as path from 'node:path';
import { Scratch, berth, runc } from './helpers/bundle';

/*
 * AppArmor and SELinux: berth-runtime implements neither (features says so: `enabled` is about
 * support in the runtime), so a config or exec that asks for a profile or label is refused
 * before anything runs, naming the field. runc fails too on a host without them (AppArmor:
 * writing /proc/self/attr/exec at init; SELinux labels: its config check; mountLabel: the
 * mounts' context= option). On a host with either enabled the refusal stands (no silent
 * ignoring), which this suite checks only where the host has neither, as runc's failure is the
 * comparison.
 */

const apparmor = fs.existsSync('/sys/module/apparmor/parameters/enabled') && fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
const selinux = fs.existsSync('/sys/fs/selinux/enforce');
const reason = apparmor || selinux ? `this host has ${apparmor ? 'AppArmor' : 'SELinux'} enabled: runc would apply it` : undefined;
if (reason !== undefined) console.log(`LSM refusal suite skipped: ${reason}`);
const describeNoLsm = reason === undefined ? describe : describe.skip;

let s: Scratch;
beforeAll(async () => {
  s = await Scratch.create();
});
afterAll(() => s.remove());

test('features: AppArmor and SELinux support are reported as absent', async () => {
  const r = await berth(s.stateRoot, ['features']);
  expect(r.code).toBe(0);
  const linux = (JSON.parse(r.stdout) as { linux: { apparmor?: { enabled: boolean }; selinux?: { enabled: boolean } } }).linux;
  expect(linux.apparmor).toEqual({ enabled: false });
  expect(linux.selinux).toEqual({ enabled: false });
});

describeNoLsm('profiles and labels are refused, naming the field, where runc fails too', () => {
  test.each([
    ['$.process.apparmorProfile', (c: Record<string, any>) => (c.process.apparmorProfile = 'berth-test')], // eslint-disable-line @typescript-eslint/no-explicit-any
    ['$.process.selinuxLabel', (c: Record<string, any>) => (c.process.selinuxLabel = 'system_u:system_r:container_t:s0')], // eslint-disable-line @typescript-eslint/no-explicit-any
    ['$.linux.mountLabel', (c: Record<string, any>) => (c.linux.mountLabel = 'system_u:object_r:container_file_t:s0')], // eslint-disable-line @typescript-eslint/no-explicit-any
  ])('%s', async (field, edit) => {
    const bundle = s.bundle(['echo', 'ran'], (spec) => edit(spec as unknown as Record<string, unknown>));
    const id = `lsm-${process.pid}-${field.replace(/\W/g, '')}`;
    const want = await runc(path.join(s.dir, 'runc-state'), ['run', '--bundle', bundle, id]);
    await runc(path.join(s.dir, 'runc-state'), ['delete', '--force', id]);
    const got = await berth(s.stateRoot, ['run', '--bundle', bundle, id]);
    expect(want.code).not.toBe(0);
    expect(want.stdout).toBe('');
    expect(got.code).toBe(1);
    expect(got.stdout).toBe('');
    expect(got.stderr).toContain(field);
    expect(fs.existsSync(path.join(s.stateRoot, id))).toBe(false);
  });

  test('exec: --apparmor, --process-label and a --process with a profile are refused (255, as a failed exec)', async () => {
    const id = `lsm-exec-${process.pid}`;
    expect((await berth(s.stateRoot, ['run', '-d', '--bundle', s.bundle(['sleep', '1000']), id])).code).toBe(0);
    try {
      let r = await berth(s.stateRoot, ['exec', '--apparmor', 'berth-test', id, 'true']);
      expect(r.code).toBe(255);
      expect(r.stderr).toContain('--apparmor');
      r = await berth(s.stateRoot, ['exec', '--process-label', 'system_u:system_r:container_t:s0', id, 'true']);
      expect(r.code).toBe(255);
      expect(r.stderr).toContain('--process-label');
      const processFile = path.join(s.dir, 'process.json');
      fs.writeFileSync(processFile, JSON.stringify({ args: ['true'], cwd: '/', apparmorProfile: 'berth-test' }));
      r = await berth(s.stateRoot, ['exec', '--process', processFile, id]);
      expect(r.code).toBe(255);
      expect(r.stderr).toContain('$.process.apparmorProfile');
    } finally {
      await berth(s.stateRoot, ['delete', '--force', id]);
    }
  });
});
