import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Spec } from '@berth/spec';
import { acceptRecvFd, closeFd, unixListen } from '@berth/sys';
import { CLI_ENTRY, Scratch, berth, exec, runc, uniqueId, waitExit, type Result } from './helpers/bundle';

let s: Scratch;
let root: string;
let runcRoot: string;
let n = 0;

beforeAll(async () => {
  s = await Scratch.create();
  root = s.stateRoot;
  runcRoot = path.join(s.dir, 'runc-state');
});
afterEach(async () => {
  for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) await berth(root, ['delete', '--force', id]);
  for (const id of fs.existsSync(runcRoot) ? fs.readdirSync(runcRoot) : []) await runc(runcRoot, ['delete', '--force', id]);
});
afterAll(() => s.remove());

type Cli = (root: string, args: string[]) => Promise<Result>;

/** A created and started container running `sleep 1000` (or `args`); returns its id and host pid. */
async function running(cli: Cli = berth, edit?: (spec: Spec) => void, args = ['sleep', '1000']): Promise<{ id: string; pid: number }> {
  const id = uniqueId(`exec-${++n}`);
  const state = cli === berth ? root : runcRoot;
  const pidFile = path.join(s.dir, `${id}.pid`);
  const created = await cli(state, ['create', '--bundle', s.bundle(args, edit), '--pid-file', pidFile, id]);
  expect(created.stderr).toBe('');
  expect((await cli(state, ['start', id])).code).toBe(0);
  return { id, pid: Number(fs.readFileSync(pidFile, 'utf8')) };
}

const execIn = (id: string, args: string[], cli: Cli = berth) => cli(cli === berth ? root : runcRoot, ['exec', ...args.slice(0, -1), id, ...(args.at(-1) === '' ? [] : ['sh', '-c', args.at(-1)!])]);

/** The value of `field` in /proc/PID/status. */
function status(pid: number, field: string): string {
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
}

describe('exec', () => {
  test('runs in the container\'s namespaces: its pid 1, hostname, root and capabilities', async () => {
    const { id, pid } = await running();
    const r = await execIn(id, ['cat /proc/1/cmdline | tr "\\0" " "; echo; hostname; echo $$; for n in pid mnt net; do readlink /proc/self/ns/$n; done; grep CapEff /proc/self/status; ls /bin/busybox']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [init, hostname, ownPid, pidNs, mntNs, netNs, capEff, busybox] = r.stdout.trim().split('\n');
    expect(init).toBe('sleep 1000 ');
    expect(hostname).toBe('berth');
    expect(Number(ownPid)).toBeLessThan(10); // a pid of the container's namespace, not the host's
    expect(pidNs).toBe(fs.readlinkSync(`/proc/${pid}/ns/pid`));
    expect(mntNs).toBe(fs.readlinkSync(`/proc/${pid}/ns/mnt`));
    expect(netNs).toBe(fs.readlinkSync(`/proc/${pid}/ns/net`));
    expect(capEff.split(/\s+/)[1]).toBe(status(pid, 'CapEff'));
    expect(busybox).toBe('/bin/busybox');
    // and its cgroups (no cgroup namespace here: the paths read as the host's)
    expect((await execIn(id, ['cat /proc/self/cgroup'])).stdout).toBe(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  });

  test('passes the exit status through, 128+N for a signal; a missing command exits 255', async () => {
    const { id } = await running();
    expect((await execIn(id, ['exit 7'])).code).toBe(7);
    expect((await execIn(id, ['kill -TERM $$'])).code).toBe(143);
    const missing = await berth(root, ['exec', id, 'no-such-command']);
    expect(missing.code).toBe(255);
    expect(missing.stderr).toContain('exec failed');
    expect(missing.stderr).toContain('no-such-command');
  });

  test('-e, -u, -g, --cwd, --cap and --no-new-privs change the process', async () => {
    const { id } = await running();
    const r = await execIn(id, ['-e', 'FOO=bar', '-u', '1000:1001', '-g', '7', '--cwd', '/etc', '--cap', 'CAP_SYS_ADMIN', '--no-new-privs',
      'echo $FOO; id -u; id -g; id -G; pwd; grep -E "CapBnd|NoNewPrivs" /proc/self/status']);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 5)).toEqual(['bar', '1000', '1001', '1001 7', '/etc']);
    const bnd = BigInt(`0x${lines[5].split(/\s+/)[1]}`);
    expect((bnd >> 21n) & 1n).toBe(1n); // CAP_SYS_ADMIN joined the bounding set
    expect(lines[6]).toMatch(/NoNewPrivs:\s*1/);
  });

  test('--tty sends a pty master to the console socket; the process has it as its terminal', async () => {
    const { id } = await running();
    const sock = path.join(s.dir, `console-${n}.sock`);
    const listenFd = unixListen(sock);
    try {
      const received = acceptRecvFd(listenFd);
      const r = await execIn(id, ['-t', '-d', '--console-socket', sock, 'tty; echo hello']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const { fd, data } = await received;
      expect(data).toBe('/dev/ptmx');
      const out = await new Promise<string>((resolve) => {
        let text = '';
        const stream = fs.createReadStream('', { fd, autoClose: true });
        stream.on('data', (c) => (text += c.toString()));
        stream.on('error', () => resolve(text)); // EIO: the slave side is closed
        stream.on('end', () => resolve(text));
      });
      expect(out.replace(/\r/g, '')).toBe('/dev/pts/0\nhello\n');
    } finally {
      closeFd(listenFd);
    }
  });

  test('--process with --detach --pid-file, as containerd calls it', async () => {
    const { id, pid } = await running();
    const processFile = path.join(s.dir, `process-${n}.json`);
    fs.writeFileSync(processFile, JSON.stringify({ args: ['sleep', '999'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 }, terminal: false }));
    const pidFile = path.join(s.dir, `exec-${n}.pid`);
    const r = await berth(root, ['exec', '--process', processFile, '--detach', '--pid-file', pidFile, id]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
    try {
      expect(fs.readFileSync(`/proc/${execPid}/cmdline`, 'utf8')).toBe('sleep\x00999\x00');
      expect(fs.readlinkSync(`/proc/${execPid}/ns/pid`)).toBe(fs.readlinkSync(`/proc/${pid}/ns/pid`));
      expect(status(execPid, 'NSpid').split(/\s+/)).toHaveLength(2); // host pid and container pid
    } finally {
      process.kill(execPid, 'SIGKILL');
      waitExit(execPid);
    }
  });

  test('refuses a stopped container with runc\'s words, and an unknown one', async () => {
    const { id, pid } = await running(berth, undefined, ['true']);
    waitExit(pid);
    const r = await execIn(id, ['echo no']);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('cannot exec in a stopped container');
    const missing = await execIn('no-such-container', ['echo no']);
    expect(missing.code).toBe(255);
    expect(missing.stderr).toContain('container no-such-container does not exist');
  });

  test('refuses a detached tty without a console socket, and a console socket without a tty', async () => {
    const { id } = await running();
    const detached = await execIn(id, ['-t', '-d', 'true']);
    expect(detached.code).toBe(255);
    expect(detached.stderr).toContain('cannot allocate a tty for a detached process without --console-socket');
    const socket = await execIn(id, ['--console-socket', path.join(s.dir, 'x.sock'), 'true']);
    expect(socket.code).toBe(255);
    expect(socket.stderr).toContain('--console-socket given but the process has no tty');
  });

  test('the same output as runc exec on the same config', async () => {
    // Not compared: the exec'd pid (runc's intermediate processes take pids first) and
    // rlimits (runc 1.1.5 here leaves the container's RLIMIT_NOFILE off exec'd processes).
    const script = 'id; hostname; pwd; echo $HOME; grep -E "^(Cap|NoNewPrivs|Seccomp:)" /proc/self/status; mknod /tmp/n p; echo $?; cat /proc/1/cmdline | tr "\\0" " "';
    const edit = (spec: Spec) => {
      spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mknod', 'mknodat'], action: 'SCMP_ACT_ERRNO' }] };
    };
    const b = await running(berth, edit);
    const r = await running(runc, edit);
    for (const flags of [[], ['-u', '1000:1000', '--cwd', '/tmp', '-e', 'HOME=/h'], ['--cap', 'CAP_NET_ADMIN']]) {
      const ours = await execIn(b.id, [...flags, script]);
      const theirs = await execIn(r.id, [...flags, script], runc);
      expect(ours.stderr).toBe(theirs.stderr);
      expect(ours.stdout).toBe(theirs.stdout);
      expect(ours.code).toBe(theirs.code);
    }
    // compiled once, by the first exec; the later ones load the program (and matched runc all the same)
    expect(fs.existsSync(path.join(root, b.id, 'seccomp.json'))).toBe(true);
  });
  test('a paused container is refused unless --ignore-paused', async () => {
    const { id } = await running();
    expect((await berth(root, ['pause', id])).code).toBe(0);
    const r = await execIn(id, ['echo no']);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('cannot exec in a paused container (use --ignore-paused to override)');
    // accepted: the process joins the frozen cgroup and runs once the container resumes
    const ignoring = execIn(id, ['--ignore-paused', 'echo yes']);
    const saved = JSON.parse(fs.readFileSync(path.join(root, id, 'state.json'), 'utf8')) as { cgroupPaths: Record<string, string> };
    const procs = path.join(Object.values(saved.cgroupPaths)[0], 'cgroup.procs');
    for (let i = 0; fs.readFileSync(procs, 'utf8').trim().split('\n').length < 2; i++) {
      if (i > 1_000_000) throw new Error('the exec\'d process never joined the container\'s cgroup');
      await new Promise((r) => setImmediate(r));
    }
    expect((await berth(root, ['resume', id])).code).toBe(0);
    expect(await ignoring).toMatchObject({ code: 0, stdout: 'yes\n', stderr: '' });
  });

  test('in the foreground, signals to exec reach the process', async () => {
    const { id } = await running();
    const pidFile = path.join(s.dir, `fg-${n}.pid`);
    const out = path.join(s.dir, `fg-${n}.out`);
    const fd = fs.openSync(out, 'w');
    const child = spawn(process.execPath, [CLI_ENTRY, '--root', root, 'exec', '--pid-file', pidFile, id, 'sh', '-c', 'trap "echo got TERM; exit 42" TERM; sleep 1000 & wait'], { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // the trap is installed once sh has a SIGTERM handler (SigCgt bit 15)
    for (let i = 0; ; i++) {
      const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) : 0;
      if (pid > 0 && (BigInt(`0x${status(pid, 'SigCgt')}`) >> 14n) & 1n) break;
      if (i > 100_000) throw new Error('the trap was never installed');
      await new Promise((r) => setImmediate(r));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(42);
    expect(fs.readFileSync(out, 'utf8')).toBe('got TERM\n');
  });
  test('--preserve-fds passes fds 3.. to the process', async () => {
    const { id } = await running();
    const file = path.join(s.dir, `preserved-${n}.txt`);
    const fd = fs.openSync(file, 'w');
    try {
      const r = await exec(process.execPath, [CLI_ENTRY, '--root', root, 'exec', '--preserve-fds', '1', id, 'sh', '-c', 'echo through fd 3 >&3'], { extraFds: [fd] });
      expect(r).toMatchObject({ code: 0, stderr: '' });
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('through fd 3\n');
  });
  test('uses the config the container was created with, not the bundle\'s current one', async () => {
    const id = uniqueId(`exec-${++n}`);
    const bundle = s.bundle(['sleep', '1000'], (spec) => spec.process!.env!.push('FOO=created'));
    expect((await berth(root, ['create', '--bundle', bundle, id])).stderr).toBe('');
    expect((await berth(root, ['start', id])).code).toBe(0);
    const file = path.join(bundle, 'config.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('FOO=created', 'FOO=edited'));
    expect((await execIn(id, ['echo $FOO'])).stdout).toBe('created\n');
    fs.rmSync(file);
    expect((await execIn(id, ['echo $FOO'])).stdout).toBe('created\n');
  });
  test('-t in the foreground without a console socket: the pty is proxied to our terminal', async () => {
    const { id } = await running();
    // script(1) gives berth-runtime a terminal of its own as stdin and stdout
    const cmd = [process.execPath, CLI_ENTRY, '--root', root, 'exec', '-t', id, 'sh', '-c', 'tty; exit 5'].map((a) => `'${a}'`).join(' ');
    const r = await exec('script', ['-qec', cmd, '/dev/null']);
    expect(r.code).toBe(5);
    // script's stdin is at EOF: it sends a NUL, echoed as ^@ (runc shows the same)
    expect(r.stdout.replace(/\r|\^@/g, '')).toBe('/dev/pts/0\n');
  });

  test('joins a cgroup namespace: the exec\'d process sees the container\'s cgroup root', async () => {
    const { id } = await running(berth, (spec) => spec.linux!.namespaces!.push({ type: 'cgroup' }));
    const r = await execIn(id, ['cat /proc/self/cgroup; echo --; cat /proc/1/cgroup']);
    const [own, init] = r.stdout.split('--\n');
    expect(own).toBe(init);
    expect(own).toMatch(/^\d+:[^:]*:\/$/m);
  });
});
