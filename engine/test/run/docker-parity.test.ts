/**
 * `berth run` against `docker run` (a private dockerd, Debian's docker.io)
 * on the same image: Docker's default seccomp profile (and unconfined, and a
 * custom profile file), --init, -t without -i, the image's volumes, and rmi
 * of an image a container uses. The image is busybox plus a static seccomp
 * probe (runtime/test/seccomp/probe) and a /data directory declared as a volume.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { closeFd, openpty } from '@berth/sys';
import { makeDockerSaveTarball } from '@berth/test';
import { BIN, rmrf, tempDir } from '../helpers';
import { containersOf, entries, mountsUnder, setUp, tearDown, type RunFixture } from './helpers';
import { startDockerd, type Dockerd } from './dockerd';

const IMAGE = `berth-parity-${process.pid}:latest`;
let f: RunFixture;
let dockerd: Dockerd | undefined;
let work: string;

const PROBE_SOURCE = path.resolve(__dirname, '../../../runtime/test/seccomp/probe/seccomp-probe.c');

/** Syscalls the default profile refuses (EPERM; clone3 ENOSYS) or allows, by number for the host's arch. */
const CASES: Record<string, string[]> = {
  // getpid, unshare(CLONE_NEWUSER), keyctl, mount, clone3, personality(0) (allowed), personality(1) (not in the list), i386 getpid
  x64: ['39', '272,0x10000000', '250,0', '165,0,0,0,0,0', '435,0,0', '135,0', '135,1', 'i386:20'],
  arm64: ['172', '97,0x10000000', '219,0', '40,0,0,0,0,0', '435,0,0', '92,0', '92,1'],
};
const cases = CASES[process.arch];

beforeAll(async () => {
  if (!cases) throw new Error(`no syscall numbers for ${process.arch} in this test`);
  f = await setUp();
  work = tempDir('berth-parity-');
  const probe = path.join(work, 'seccomp-probe');
  execFileSync('gcc', ['-static', '-O1', '-o', probe, PROBE_SOURCE]);
  const { readFileSync } = await import('node:fs');
  const tar = path.join(work, 'image.tar');
  await makeDockerSaveTarball(tar, {
    repoTags: [IMAGE],
    extraLayers: [
      [
        { type: 'dir', path: 'usr', mode: 0o755 },
        { type: 'dir', path: 'usr/local', mode: 0o755 },
        { type: 'dir', path: 'usr/local/bin', mode: 0o755 },
        { type: 'file', path: 'usr/local/bin/seccomp-probe', data: readFileSync(probe), mode: 0o755 },
        { type: 'dir', path: 'data', mode: 0o750, uid: 1000, gid: 1001 },
        { type: 'file', path: 'data/hello', data: 'from the image\n', mode: 0o640, uid: 1000, gid: 1001 },
        { type: 'dir', path: 'data/sub', mode: 0o700, uid: 2, gid: 3 },
        { type: 'symlink', path: 'data/link', target: 'hello' },
      ],
    ],
    config: { Volumes: { '/data': {}, '/fresh/vol': {} } },
  });
  const loaded = await f.b(['load', '-q', '-i', tar]);
  expect(loaded).toMatchObject({ code: 0, stderr: '' });
  if (!existsSync('/usr/sbin/dockerd')) throw new Error('dockerd is needed: apt-get install docker.io');
  dockerd = await startDockerd(tempDir('berth-parity-docker-'));
  expect(dockerd.docker(['load', '-q', '-i', tar]).code).toBe(0);
}, 240_000);

afterAll(async () => {
  await dockerd?.stop();
  await tearDown(f);
  rmrf(work);
});

/** The same run under berth and docker (both --rm, no network). */
async function both(flags: string[], cmd: string[], input?: string): Promise<{ berth: { code: number; stdout: string; stderr: string }; docker: { code: number; stdout: string; stderr: string } }> {
  const berth = await f.b(['run', '--rm', '--network', 'none', ...flags, IMAGE, ...cmd], { input });
  const docker = dockerd!.docker(['run', '--rm', '--network', 'none', ...flags, IMAGE, ...cmd], { input });
  return { berth, docker };
}

function expectNothingLeft(): void {
  expect(mountsUnder(f.root)).toEqual([]);
  expect(entries(path.join(f.root, 'runtime'))).toEqual([]);
  expect(containersOf(f)).toEqual([]);
}

describe("seccomp: Docker's default profile", () => {
  it('refuses and allows the same syscalls with the same errno as docker run', async () => {
    const { berth, docker } = await both([], ['seccomp-probe', ...cases!]);
    expect(docker.code).toBe(0);
    expect(berth).toEqual(docker);
    const lines = berth.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`${cases![0]} ok`);
    expect(lines[1]).toBe(`${cases![1]} errno 1`); // unshare needs CAP_SYS_ADMIN
    expect(lines[2]).toBe(`${cases![2]} errno 1`); // keyctl
    expect(lines[3]).toBe(`${cases![3]} errno 1`); // mount
    expect(lines[4]).toBe(`${cases![4]} errno 38`); // clone3: ENOSYS, so libc falls back to clone
    expect(lines[5]).toBe(`${cases![5]} ok`);
    expect(lines[6]).toBe(`${cases![6]} errno 1`);
    // busybox's own unshare and the filter mode in /proc
    const shell = await both([], ['sh', '-c', 'grep ^Seccomp: /proc/self/status; unshare -U true; echo $?']);
    expect(shell.berth).toEqual(shell.docker);
    expect(shell.berth.stdout).toBe('Seccomp:\t2\n1\n');
    expectNothingLeft();
  });

  it('--security-opt seccomp=unconfined: no filter, as docker', async () => {
    const { berth, docker } = await both(['--security-opt', 'seccomp=unconfined'], ['sh', '-c', 'grep ^Seccomp: /proc/self/status; seccomp-probe ' + cases!.slice(2, 5).join(' ')]);
    expect(berth).toEqual(docker);
    expect(berth.stdout.split('\n')[0]).toBe('Seccomp:\t0');
    expect(berth.stdout).not.toContain(`${cases![4]} errno 38`);
  });

  it("--security-opt seccomp=FILE: Docker's format, includes/excludes resolved for the container's capabilities", async () => {
    const file = path.join(work, 'profile.json');
    const [getpid] = cases!;
    const nr = (name: string) => ({ x64: { getppid: '110', getuid: '102', getgid: '104' }, arm64: { getppid: '173', getuid: '174', getgid: '176' } })[process.arch as 'x64' | 'arm64'][name as 'getppid'];
    writeFileSync(
      file,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 7 },
          { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 8, includes: { caps: ['CAP_SYS_ADMIN'] } },
          { names: ['getuid'], action: 'SCMP_ACT_ERRNO', errnoRet: 9, excludes: { caps: ['CAP_SYS_ADMIN'] } },
          { name: 'getgid', action: 'SCMP_ACT_ERRNO', errnoRet: 10, includes: { minKernel: '99.0' } },
        ],
      }),
    );
    const probe = ['seccomp-probe', getpid!, nr('getppid'), nr('getuid'), nr('getgid')];
    const { berth, docker } = await both(['--security-opt', `seccomp=${file}`], probe);
    expect(berth).toEqual(docker);
    expect(berth.stdout).toBe(`${getpid} errno 7\n${nr('getppid')} ok\n${nr('getuid')} errno 9\n${nr('getgid')} ok\n`);

    writeFileSync(file, '{"defaultAction": ');
    const bad = await f.b(['run', '--rm', '--security-opt', `seccomp=${file}`, IMAGE, 'true']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain(`seccomp profile ${file}: decoding failed`);
    const missing = await f.b(['run', '--rm', '--security-opt', 'seccomp=/no/such/profile.json', IMAGE, 'true']);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain('seccomp profile /no/such/profile.json: opening failed');
    const unknown = await f.b(['run', '--rm', '--security-opt', 'apparmor=x', IMAGE, 'true']);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toContain('--security-opt apparmor is not supported yet');
    expectNothingLeft();
  });
});

describe('--init', () => {
  it('runs docker-init as pid 1 with the command as its child; the exit status passes through', async () => {
    const script = 'tr "\\0" " " < /proc/1/cmdline; echo; echo ppid=$PPID; exit 7';
    const { berth, docker } = await both(['--init'], ['sh', '-c', script]);
    expect(berth).toEqual(docker);
    expect(berth.code).toBe(7);
    expect(berth.stdout).toBe(`/sbin/docker-init -- sh -c ${script} \nppid=1\n`);
  });

  it('reaps orphaned zombies, as docker run --init', async () => {
    // The inner shell's `sleep` is orphaned to pid 1 and exits 0.1 s later. `kill -0` succeeds
    // while it exists, zombie included, so it fails only once pid 1 has reaped it. (Looking for
    // a Z in `ps` raced: a check could run before the orphan had exited, the next just after.)
    const script =
      'p=$(sh -c "sleep 0.1 >/dev/null 2>&1 & echo \\$!"); for i in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.05; done; kill -0 $p 2>/dev/null && echo zombie || echo reaped';
    const { berth, docker } = await both(['--init'], ['sh', '-c', script]);
    expect(berth).toEqual(docker);
    expect(berth.stdout).toBe('reaped\n');
  });

  it('SIGTERM to berth reaches the command through the init', async () => {
    const child = spawn(process.execPath, [BIN, 'run', '--rm', '--init', IMAGE, 'sh', '-c', 'trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.1; done'], {
      env: { ...process.env, ...f.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('ready\n')) resolve();
      }),
    );
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await ready;
    child.kill('SIGTERM');
    expect(await done).toBe(3);
    expect(out).toBe('ready\ngot TERM\n');
    expectNothingLeft();
  });
});

describe('-t without -i', () => {
  it('gives the container a terminal but no input, as docker run -t', async () => {
    const script = 'test -t 0 && echo tty; read -t 1 x; echo "read[$x]"';
    const { berth, docker } = await both(['-t'], ['sh', '-c', script], 'secret\n');
    expect(berth).toEqual(docker);
    expect(berth.stdout).toBe('tty\r\nread[]\r\n');
    // with -i the input arrives
    const it = await f.b(['run', '--rm', '-i', '-t', IMAGE, 'sh', '-c', 'read x; echo "read[$x]"'], { input: 'secret\n' });
    expect(it.stdout).toContain('read[secret]');
  });

  it('on a real terminal: berth neither reads it nor makes it raw (what is typed is echoed, not read); -it does both', async () => {
    const onPty = async (flags: string[]): Promise<string> => {
      const tty = openpty();
      const child = spawn(process.execPath, [BIN, 'run', '--rm', ...flags, IMAGE, 'sh', '-c', 'echo ready; read -t 3 x; echo "read[$x]"'], {
        env: { ...process.env, ...f.env },
        stdio: [tty.slave, tty.slave, tty.slave],
      });
      closeFd(tty.slave);
      let text = '';
      const output = createReadStream('', { fd: tty.master }); // closes the master at the end
      let typed = false;
      await new Promise<void>((resolve) => {
        output.on('data', (c: string | Buffer) => {
          text += c.toString();
          if (!typed && text.includes('ready')) {
            typed = true;
            writeSync(tty.master, 'secret\n');
          }
        });
        // EIO once berth and the container (the last holders of the slave) are gone
        output.on('error', () => resolve());
        output.on('end', () => resolve());
      });
      await new Promise((r) => (child.exitCode === null ? child.on('exit', r) : r(undefined)));
      return text;
    };
    const [tOnly, it] = [await onPty(['-t']), await onPty(['-i', '-t'])];
    expect(tOnly).toContain('read[]');
    expect(tOnly).toContain('secret\r\n'); // the terminal's echo: not raw
    expect(it).toContain('read[secret]');
  });
});

describe("the image's volumes", () => {
  it("mounts a fresh copy of the image's content at each volume path (owners, modes, links), writable with --read-only", async () => {
    const script = [
      'stat -c "%n %u %g %a %F" /data /data/hello /data/sub /data/link /fresh/vol',
      'cat /data/hello',
      'ls -A /fresh/vol | wc -l',
      'awk \'$2 ~ /^\\/(data|fresh)/ {print $2}\' /proc/self/mounts',
      'echo changed > /data/hello && echo written',
    ].join('; ');
    const { berth, docker } = await both(['--read-only'], ['sh', '-c', script]);
    expect(berth).toEqual(docker);
    expect(berth.stdout).toBe(
      [
        '/data 1000 1001 750 directory',
        '/data/hello 1000 1001 640 regular file',
        '/data/sub 2 3 700 directory',
        '/data/link 0 0 777 symbolic link',
        '/fresh/vol 0 0 755 directory',
        'from the image',
        '0',
        '/data',
        '/fresh/vol',
        'written',
        '',
      ].join('\n'),
    );
    // each run gets a fresh volume: the image's content, not the last run's
    const again = await f.b(['run', '--rm', IMAGE, 'cat', '/data/hello']);
    expect(again.stdout).toBe('from the image\n');
    expectNothingLeft();
  });

  it('without --rm the volume stays with the container record', async () => {
    const r = await f.b(['run', '--name', `vol-${process.pid}`, IMAGE, 'sh', '-c', 'echo kept > /data/new']);
    expect(r.code).toBe(0);
    const [id] = containersOf(f);
    const volumes = path.join(f.root, 'containers', id!, 'volumes');
    expect(readdirSync(volumes).sort()).toEqual(['0', '1']);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(volumes, '0', 'new'), 'utf8')).toBe('kept\n');
    rmrf(path.join(f.root, 'containers', id!));
    rmrf(path.join(f.root, 'rootfs', id!));
  });
});

describe('rmi of an image a running container uses', () => {
  it("refuses, and -f untags but keeps the image (dangling), with docker's messages", async () => {
    // an image with one name, in both stores
    const solo = `berth-parity-solo-${process.pid}:latest`;
    const tar = path.join(work, 'solo.tar');
    await makeDockerSaveTarball(tar, { repoTags: [solo], config: { Env: ['PATH=/bin', 'SOLO=1'] } });
    expect((await f.b(['load', '-q', '-i', tar])).code).toBe(0);
    expect(dockerd!.docker(['load', '-q', '-i', tar]).code).toBe(0);
    const id = dockerd!.docker(['image', 'inspect', '--format', '{{.Id}}', solo]).stdout.trim().slice(7, 19);

    const dockerRun = dockerd!.docker(['run', '-d', '--network', 'none', solo, 'sleep', '1000']);
    expect(dockerRun.code).toBe(0);
    const dockerCid = dockerRun.stdout.trim().slice(0, 12);
    const child = spawn(process.execPath, [BIN, 'run', '-i', '--rm', solo, 'sh', '-c', 'echo ready; read x'], {
      env: { ...process.env, ...f.env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
        void closed.then((code) => reject(new Error(`berth run exited (${code}) before the container was ready`)));
      });
      const [berthCid] = containersOf(f).map((c) => c.slice(0, 12));
      // The daemon's error prefix and the container ids differ; the rest must be the same.
      const norm = (text: string, cid: string): string => text.replace(/^(Error response from daemon|Error): /gm, '').replaceAll(cid, '<container>');
      const same = async (args: string[]): Promise<{ stdout: string; stderr: string }> => {
        const d = dockerd!.docker(args);
        const b = await f.b(args);
        expect({ failed: b.code !== 0, out: norm(b.stdout, berthCid!), err: norm(b.stderr, berthCid!) }).toEqual({
          failed: d.code !== 0,
          out: norm(d.stdout, dockerCid),
          err: norm(d.stderr, dockerCid),
        });
        return b;
      };
      expect((await same(['rmi', solo])).stderr).toContain(`(must force) - container ${berthCid} is using its referenced image ${id}`);
      expect((await same(['rmi', '-f', id])).stderr).toContain(`(cannot be forced) - image is being used by running container ${berthCid}`);
      expect((await same(['rmi', '-f', solo])).stdout).toBe(`Untagged: ${solo}\n`);
      expect(dockerd!.docker(['images', '-q', '--filter', 'dangling=true']).stdout).toContain(id);
      expect((await f.b(['images', '-q'])).stdout).toContain(id);
    } finally {
      child.stdin.end('\n');
      await closed;
      dockerd!.docker(['rm', '-f', dockerCid]);
    }
  });
});
