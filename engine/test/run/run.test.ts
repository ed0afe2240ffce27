import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BIN } from '../helpers';
import { containersOf, entries, mountsUnder, setUp, tearDown, type RunFixture } from './helpers';

let f: RunFixture;

beforeAll(async () => {
  f = await setUp();
}, 180_000);

afterAll(async () => {
  await tearDown(f);
});

/** After every --rm run: no mount, no runtime state, no container left. */
function expectNothingLeft(): void {
  expect(mountsUnder(f.root)).toEqual([]);
  expect(entries(path.join(f.root, 'runtime'))).toEqual([]);
  expect(entries(path.join(f.root, 'rootfs'))).toEqual([]);
  expect(containersOf(f)).toEqual([]);
}

describe('berth run (foreground)', () => {
  it('pulls a missing image first (as docker run), then prints the hostname: the container id, 12 hex', async () => {
    const r = await f.b(['run', '--rm', 'busybox', 'cat', '/etc/hostname']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{12}\n$/);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe("Unable to find image 'busybox:latest' locally");
    expect(lines[1]).toBe('latest: Pulling from library/busybox');
    expect(lines.at(-1)).toBe('Status: Downloaded newer image for busybox:latest');
    expectNothingLeft();
    // now it is there: nothing on stderr
    const again = await f.b(['run', '--rm', 'busybox', 'echo', 'hi']);
    expect(again).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
    expectNothingLeft();
  });

  it("passes the exit status through, and uses Docker's 125/126/127 when the command never ran", async () => {
    const [three, dir, missing, noFile, image] = await Promise.all([
      f.b(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3']),
      f.b(['run', '--rm', 'busybox', '/etc']),
      f.b(['run', '--rm', 'busybox', 'nosuchcmd']),
      f.b(['run', '--rm', 'busybox', '/no/such/file']),
      f.b(['run', '--rm', 'nosuchimage']),
    ]);
    expect(three.code).toBe(3);
    expect(dir).toEqual({ code: 126, stdout: '', stderr: 'berth: exec: "/etc": permission denied\n' });
    expect(missing).toEqual({ code: 127, stdout: '', stderr: 'berth: exec: "nosuchcmd": executable file not found in $PATH\n' });
    expect(noFile.code).toBe(127);
    expect(noFile.stderr).toContain('no such file or directory');
    expect(image.code).toBe(125);
    expect(image.stderr).toMatch(/^Unable to find image 'nosuchimage:latest' locally\n/);
    expect(image.stderr).toMatch(/berth: .+\n$/);
    expectNothingLeft();
  });

  it('-e and --env-file (comments, bare names from the caller, -e last), PATH, HOSTNAME and HOME defaults', async () => {
    const file = path.join(f.root, 'env.list');
    writeFileSync(file, '# a comment\n\nFROM_FILE=1\nOVERRIDDEN=file\n  FROM_CALLER\nUNSET_IN_CALLER\n');
    const r = await f.b(['run', '--rm', '--env-file', file, '-e', 'OVERRIDDEN=flag', '-e', 'WITH_EQ=a=b', '-h', 'box', 'busybox', 'env'], {
      env: { FROM_CALLER: 'caller' },
    });
    expect(r.code).toBe(0);
    // busybox env adds nothing of its own: exactly what berth gave the container
    expect(r.stdout.trimEnd().split('\n').sort()).toEqual([
      'FROM_CALLER=caller',
      'FROM_FILE=1',
      'HOME=/root',
      'HOSTNAME=box',
      'OVERRIDDEN=flag',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'WITH_EQ=a=b',
    ]);
    // A missing file: berth's error (125). Node 20 itself looks for --env-file anywhere on its
    // command line and exits 9 when the file is missing: the bin's shebang (`node --`) stops
    // that, so run the bin itself, as a user does.
    const bad = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(BIN, ['run', '--rm', '--env-file', path.join(f.root, 'missing.list'), 'busybox', 'true'], { env: { ...process.env, ...f.env } }, (err, _out, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stderr }),
      );
    });
    expect(bad).toEqual({ code: 125, stderr: `berth: open ${path.join(f.root, 'missing.list')}: no such file or directory\nSee 'berth run --help'.\n` });
  });

  it('-w (created when missing), -u by name and numeric, -h, --entrypoint', async () => {
    const [root, wd, byName, numeric, unknown, host, ep, epCleared] = await Promise.all([
      f.b(['run', '--rm', 'busybox', 'id']),
      f.b(['run', '--rm', '-w', '/work/dir', 'busybox', 'pwd']),
      f.b(['run', '--rm', '-u', 'nobody', 'busybox', 'sh', '-c', 'id; echo $HOME']),
      f.b(['run', '--rm', '-u', '1234:55', 'busybox', 'sh', '-c', 'id; echo $HOME']),
      f.b(['run', '--rm', '-u', 'foo', 'busybox', 'id']),
      f.b(['run', '--rm', '-h', 'myhost', 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname; echo $HOSTNAME']),
      f.b(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'a', 'b']),
      f.b(['run', '--rm', '--entrypoint', '', 'busybox', 'echo', 'c']),
    ]);
    // as docker run: the primary group is also a supplementary group
    expect(root).toEqual({ code: 0, stdout: 'uid=0(root) gid=0(root) groups=0(root)\n', stderr: '' });
    expect(wd).toEqual({ code: 0, stdout: '/work/dir\n', stderr: '' });
    expect(byName).toEqual({ code: 0, stdout: 'uid=65534(nobody) gid=65534(nobody) groups=65534(nobody)\n/nonexistent\n', stderr: '' });
    expect(numeric).toEqual({ code: 0, stdout: 'uid=1234 gid=55 groups=55\n/\n', stderr: '' });
    expect(unknown).toEqual({ code: 125, stdout: '', stderr: 'berth: unable to find user foo: no matching entries in passwd file\n' });
    expect(host).toEqual({ code: 0, stdout: 'myhost\nmyhost\nmyhost\n', stderr: '' });
    expect(ep).toEqual({ code: 0, stdout: 'a b\n', stderr: '' });
    expect(epCleared).toEqual({ code: 0, stdout: 'c\n', stderr: '' });
    expectNothingLeft();
  });

  it('--read-only: neither the root nor /etc/hosts can be written, /dev/shm can (as docker run)', async () => {
    const r = await f.b(['run', '--rm', '--read-only', 'busybox', 'sh', '-c', 'touch /x; echo $?; touch /dev/shm/y && echo shm ok; (echo >> /etc/hosts) 2>/dev/null || echo hosts ro']);
    expect(r.stdout).toBe('1\nshm ok\nhosts ro\n');
    expect(r.stderr).toBe('touch: /x: Read-only file system\n');
    const rw = await f.b(['run', '--rm', 'busybox', 'sh', '-c', 'touch /x && echo ok']);
    expect(rw.stdout).toBe('ok\n');
  });

  it('stdin reaches the container only with -i; -t gives it a terminal and TERM', async () => {
    const [withI, withoutI, tty] = await Promise.all([
      f.b(['run', '--rm', '-i', 'busybox', 'cat'], { input: 'hello\nworld\n' }),
      f.b(['run', '--rm', 'busybox', 'cat'], { input: 'hello\n' }),
      f.b(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'tty; echo $TERM']),
    ]);
    expect(withI).toEqual({ code: 0, stdout: 'hello\nworld\n', stderr: '' });
    expect(withoutI).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(tty.code).toBe(0);
    expect(tty.stdout).toBe('/dev/pts/0\r\nxterm\r\n');
  });

  it("Docker's defaults: its capability set, masked and read-only /proc paths, /dev/shm, the host's /etc/hosts with host networking", async () => {
    const script = [
      'grep -E "^Cap(Eff|Bnd)" /proc/self/status',
      'wc -c < /proc/timer_list',
      '(echo 1 > /proc/sys/kernel/hostname) 2>/dev/null || echo proc-sys-ro',
      'grep " /dev/shm " /proc/self/mounts | cut -d" " -f3',
      'cat /etc/hosts',
    ].join('; ');
    const r = await f.b(['run', '--rm', 'busybox', 'sh', '-c', script]);
    expect(r.stderr).toBe('');
    // moby's 14 default capabilities
    expect(r.stdout).toMatch(/^CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\n0\nproc-sys-ro\ntmpfs\n/);
    const { readFileSync } = await import('node:fs');
    expect(r.stdout.endsWith(readFileSync('/etc/hosts', 'utf8'))).toBe(true);
    const none = await f.b(['run', '--rm', '--network', 'none', '-h', 'iso', 'busybox', 'sh', '-c', 'ls /sys/class/net; tail -n1 /etc/hosts']);
    expect(none).toEqual({ code: 0, stdout: 'lo\nff02::2\tip6-allrouters\n', stderr: '' });
  });

  it('refuses what it does not support yet, and bad flags, with 125', async () => {
    const [detach, network, runtime, flag, name, workdir] = await Promise.all([
      f.b(['run', '-d', 'busybox', 'true']),
      f.b(['run', '--network', 'bridge', 'busybox', 'true']),
      f.b(['run', '--runtime', 'crun', 'busybox', 'true']),
      f.b(['run', '--no-such-flag', 'busybox', 'true']),
      f.b(['run', '--name', '-bad', 'busybox', 'true']),
      f.b(['run', '-w', 'relative', 'busybox', 'true']),
    ]);
    for (const r of [detach, network, runtime, flag, name, workdir]) {
      expect(r.code).toBe(125);
      expect(r.stdout).toBe('');
    }
    expect(detach.stderr).toBe("berth: detached mode (-d) is not supported yet: run in the foreground\nSee 'berth run --help'.\n");
    expect(network.stderr).toContain('network bridge is not supported yet');
    expect(workdir.stderr).toContain("the working directory 'relative' is invalid, it needs to be an absolute path");
    expectNothingLeft();
  });

  it('without --rm: unmounted, the record kept (state, exit code), the name unique', async () => {
    const r = await f.b(['run', '--name', 'keeper', 'busybox', 'sh', '-c', 'echo data > /kept; exit 5']);
    expect(r.code).toBe(5);
    const [id] = containersOf(f);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const { readFileSync } = await import('node:fs');
    const record = JSON.parse(readFileSync(path.join(f.root, 'containers', id, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ id, name: 'keeper', image: 'busybox', state: 'exited', exitCode: 5, args: ['sh', '-c', 'echo data > /kept; exit 5'] });
    expect(record.owner).toBeUndefined(); // no berth run is responsible for it any more
    expect(readFileSync(path.join(f.root, 'rootfs', id, 'upper/kept'), 'utf8')).toBe('data\n');
    expect(mountsUnder(f.root)).toEqual([]);
    expect(entries(path.join(f.root, 'runtime'))).toEqual([]);

    const conflict = await f.b(['run', '--rm', '--name', 'keeper', 'busybox', 'true']);
    expect(conflict.code).toBe(125);
    expect(conflict.stderr).toBe(
      `berth: Conflict. The container name "/keeper" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.\n`,
    );
    expect(containersOf(f)).toEqual([id]);
    // a container that never started stays "created" (as Docker's), also after the next run
    const never = await f.b(['run', '--name', 'never', '-u', 'nobody-here', 'busybox', 'true']);
    expect(never.code).toBe(125);
    const neverId = containersOf(f).find((c) => c !== id) as string;
    const readRecord = (c: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(f.root, 'containers', c, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(readRecord(neverId)).toMatchObject({ name: 'never', state: 'created' });
    expect((await f.b(['run', '--rm', 'busybox', 'true'])).code).toBe(0);
    expect(readRecord(neverId).state).toBe('created');
    expect(mountsUnder(f.root)).toEqual([]);
    // a later `berth rm` does this
    const { rmSync } = await import('node:fs');
    for (const c of [id, neverId]) {
      rmSync(path.join(f.root, 'containers', c), { recursive: true });
      rmSync(path.join(f.root, 'rootfs', c), { recursive: true });
    }
    expect(existsSync(path.join(f.root, 'containers', id))).toBe(false);
  });
});

describe('berth run, concurrently', () => {
  it('two runs of a missing image at once both pull and run it; its layer is stored and unpacked once', async () => {
    const other = path.join(f.root, 'concurrent-root');
    const env = { BERTH_ROOT: other };
    const [a, b] = await Promise.all([f.b(['run', '--rm', 'busybox', 'echo', 'a'], { env }), f.b(['run', '--rm', 'busybox', 'echo', 'b'], { env })]);
    expect([a.code, a.stdout, b.code, b.stdout]).toEqual([0, 'a\n', 0, 'b\n']);
    expect(entries(path.join(other, 'snapshots'))).toHaveLength(1);
    expect(entries(path.join(other, 'rootfs'))).toEqual([]);
    expect(mountsUnder(other)).toEqual([]);
    const check = await f.b(['system', 'check', '--dry-run'], { env });
    expect(check.code).toBe(0);
  });
});

describe('berth run --runtime runc', () => {
  it('gives the same output and statuses as the in-process runtime', async () => {
    const cases: string[][] = [
      ['-h', 'h1', '-e', 'X=1', 'busybox', 'sh', '-c', 'hostname; echo $X; id'],
      ['-u', 'nobody', '-w', '/tmp', 'busybox', 'sh', '-c', 'id; pwd'],
      ['busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3'],
      ['busybox', 'nosuchcmd'],
      ['busybox', '/etc'],
      ['--read-only', 'busybox', 'touch', '/x'],
    ];
    for (const c of cases) {
      const ours = await f.b(['run', '--rm', ...c]);
      const runc = await f.b(['run', '--rm', '--runtime', 'runc', ...c]);
      expect({ args: c, code: runc.code, stdout: runc.stdout }).toEqual({ args: c, code: ours.code, stdout: ours.stdout });
      if (ours.code < 125) expect(runc.stderr).toBe(ours.stderr);
    }
    expect(entries(path.join(f.root, 'runc'))).toEqual([]);
    expectNothingLeft();
  });
});
