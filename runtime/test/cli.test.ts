import * as fs from 'node:fs';
import * as path from 'node:path';
import { runtimeConfig, runtimeFeatures } from '@berth/spec';
import { Scratch, berth } from './helpers/bundle';

let s: Scratch;
beforeAll(async () => {
  s = await Scratch.create();
});
afterAll(() => s.remove());

describe('command line', () => {
  test('features is valid against features-schema.json and truthful', async () => {
    const r = await berth(s.stateRoot, ['features']);
    expect(r.code).toBe(0);
    const f = runtimeFeatures.parse(r.stdout, 'features');
    expect(f.hooks).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
    expect(f.linux?.namespaces).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
    expect(f.linux?.seccomp?.enabled).toBe(true);
    expect(f.linux?.seccomp?.actions).toContain('SCMP_ACT_NOTIFY');
    expect(f.linux?.mountExtensions?.idmap?.enabled).toBe(true); // the development hosts run Linux 6
    expect(f.mountOptions).toEqual(expect.arrayContaining(['idmap', 'ridmap']));
    expect(f.linux?.cgroup).toEqual({ v1: true, v2: true, systemd: false, systemdUser: false, rdma: true });
  });

  test('spec writes a valid default config.json and refuses to overwrite it', async () => {
    const dir = path.join(s.dir, 'spec');
    fs.mkdirSync(dir);
    expect((await berth(s.stateRoot, ['spec', '--bundle', dir])).code).toBe(0);
    const config = runtimeConfig.parse(fs.readFileSync(path.join(dir, 'config.json')), 'config.json');
    expect(config.process?.args).toEqual(['sh']);
    expect(config.linux?.namespaces?.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount']);
    const again = await berth(s.stateRoot, ['spec', '--bundle', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists. Remove it first');
    const rootless = path.join(s.dir, 'rootless');
    fs.mkdirSync(rootless);
    expect((await berth(s.stateRoot, ['spec', '--rootless', '--bundle', rootless])).code).toBe(0);
    expect(runtimeConfig.parse(fs.readFileSync(path.join(rootless, 'config.json'))).linux?.uidMappings).toHaveLength(1);
  });

  test('list prints runc\'s table header, "null" as json when empty, nothing with -q', async () => {
    expect((await berth(s.stateRoot, ['list'])).stdout).toBe('ID          PID         STATUS      BUNDLE      CREATED     OWNER\n');
    expect((await berth(s.stateRoot, ['list', '-f', 'json'])).stdout).toBe('null\n');
    expect((await berth(s.stateRoot, ['list', '-q'])).stdout).toBe('');
  });

  test('global flags: --version, unknown flags, bad log format, unknown signal', async () => {
    expect((await berth(s.stateRoot, ['--version'])).stdout).toMatch(/^berth-runtime version \d+\.\d+\.\d+\nspec: 1\.3\.0\n$/);
    const bad = await berth(s.stateRoot, ['--bogus', 'list']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('flag provided but not defined: --bogus');
    const fmt = await berth(s.stateRoot, ['--log-format', 'xml', 'list']);
    expect(fmt.code).toBe(1);
    expect(fmt.stderr).toContain('invalid log-format: xml');
    const sig = await berth(s.stateRoot, ['kill', 'x', 'SIGNOPE']);
    expect(sig.code).toBe(1);
    expect(sig.stderr).toContain('unknown signal \\"SIGNOPE');
  });

  test('--systemd-cgroup is refused clearly where systemd is absent', async () => {
    const r = await berth(s.stateRoot, ['--systemd-cgroup', 'list']);
    if (fs.existsSync('/run/systemd/system')) {
      expect(r.code).toBe(0);
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('--systemd-cgroup: systemd is not running on this host');
    }
  });
});
