import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeBusyboxRootfs } from '@berth/test';
import { Scratch, berth, runc, uniqueId } from './helpers/bundle';

let s: Scratch;
let host: string;

beforeAll(async () => {
  s = await Scratch.create();
  host = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-host-'));
});
afterAll(() => {
  s.remove();
  fs.rmSync(host, { recursive: true, force: true });
});

describe('mount targets stay inside the rootfs', () => {
  test('a symlink in the rootfs pointing at a host directory cannot redirect a mount or a device there', async () => {
    const id = uniqueId('escape');
    const rootfs = await makeBusyboxRootfs(path.join(s.dir, 'evil-rootfs'));
    fs.symlinkSync(host, path.join(rootfs, 'abs')); // absolute: the host's directory
    fs.symlinkSync(`../../../../../../..${host}`, path.join(rootfs, 'rel')); // relative, climbing out
    const bundle = s.bundle(['sh', '-c', 'echo x > /abs/inside; echo y > /rel/inside; ls /abs /rel; grep -c " /tmp/berth-host-" /proc/self/mountinfo'], (c) => {
      c.root = { path: rootfs, readonly: false };
      c.mounts!.push(
        { destination: '/abs', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
        { destination: '/rel/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
      );
      c.linux!.devices = [{ path: '/rel/dev0', type: 'c', major: 1, minor: 3 }];
    });
    // Only mounts under the test's own directories matter: other work on the host mounts and unmounts.
    const ours = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(host) || l.includes(s.dir));
    const before = ours();
    const want = await runc(path.join(s.dir, 'runc-state'), ['run', '--bundle', bundle, id]);
    const r = await berth(s.stateRoot, ['run', '--bundle', bundle, id]);
    expect(r.stderr).not.toMatch(/level=error/);
    // Both symlinks resolve to rootfs/tmp/berth-host-*: the tmpfs, the nested tmpfs and the device land there.
    expect(r).toMatchObject({ code: 0, stdout: '/abs:\ndev0\ninside\nsub\n\n/rel:\ndev0\ninside\nsub\n2\n' });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: want.code, stdout: want.stdout });
    expect(fs.readdirSync(host)).toEqual([]);
    expect(ours()).toEqual(before);
    expect(fs.statSync(path.join(rootfs, host)).isDirectory()).toBe(true);
  });
});
