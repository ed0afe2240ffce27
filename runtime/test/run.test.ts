import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acceptRecvFd, closeFd, unixListen } from '@berth/sys';
import { CLI_ENTRY, Scratch, berth, exec, runc, uniqueId, waitExit, type Result } from './helpers/bundle';

let s: Scratch;
let root: string;
let n = 0;

beforeAll(async () => {
  s = await Scratch.create();
  root = s.stateRoot;
});
afterEach(async () => {
  for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) await berth(root, ['delete', '--force', id]);
});
afterAll(() => s.remove());

/** Yields to the event loop until `cond` holds (a state we observe, never a timed sleep). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function readPid(file: string): number {
  return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) || 0 : 0;
}

/** Whether the process has a handler for `signal` (SigCgt in /proc/PID/status). */
function catches(pid: number, signal: number): boolean {
  try {
    const m = /SigCgt:\s*([0-9a-f]+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(signal - 1)) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** Starts `berth-runtime run` in the foreground and returns its pid file, pid and result. */
function runForeground(args: string[]): { pidFile: string; child: ReturnType<typeof spawn>; result: Promise<Result> } {
  const id = uniqueId(`run-${++n}`);
  const pidFile = path.join(s.dir, `${id}.pid`);
  const out = path.join(s.dir, `${id}.out`);
  const fd = fs.openSync(out, 'w+');
  const child = spawn(process.execPath, [CLI_ENTRY, '--root', root, 'run', '--pid-file', pidFile, '--bundle', s.bundle(args), id], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const result = new Promise<Result>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout: fs.readFileSync(out, 'utf8'), stderr: '' })),
  );
  return { pidFile, child, result };
}

describe('run', () => {
  test('exits 128+N when the container is killed by signal N', async () => {
    const { pidFile, result } = runForeground(['sleep', '1000']);
    await until(() => readPid(pidFile) > 0 && cmdline(readPid(pidFile)) === 'sleep\x001000\x00', 'the container to run');
    const id = uniqueId(`run-${n}`); // the one runForeground started
    expect((await berth(root, ['kill', id, 'SIGKILL'])).code).toBe(0);
    expect((await result).code).toBe(137);
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });

  test('forwards signals it receives to the container', async () => {
    const { pidFile, child, result } = runForeground(['sh', '-c', 'trap "echo got TERM; exit 42" TERM; sleep 1000 & wait']);
    await until(() => readPid(pidFile) > 0 && catches(readPid(pidFile), 15), 'the trap to be installed');
    child.kill('SIGTERM');
    const r = await result;
    expect(r.code).toBe(42);
    expect(r.stdout).toContain('got TERM');
  });

  test('--detach returns at once and leaves the container running; --keep keeps a stopped one', async () => {
    const det = uniqueId('det');
    const kept = uniqueId('kept');
    const bundle = s.bundle(['sleep', '1000']);
    const d = await berth(root, ['run', '-d', '--bundle', bundle, det]);
    expect(d.code).toBe(0);
    const st = JSON.parse((await berth(root, ['state', det])).stdout);
    expect(st.status).toBe('running');
    expect((await berth(root, ['delete', '-f', det])).code).toBe(0);
    expect(waitExit(st.pid)).toBe(true);

    const k = await berth(root, ['run', '--keep', '--bundle', s.bundle(['sh', '-c', 'exit 7']), kept]);
    expect(k.code).toBe(7);
    expect(JSON.parse((await berth(root, ['state', kept])).stdout)).toMatchObject({ status: 'stopped', pid: 0 });
  });

  test('domainname is set in the new uts namespace', async () => {
    const id = uniqueId('dom');
    const r = await berth(root, ['run', '--bundle', s.bundle(['cat', '/proc/sys/kernel/domainname'], (c) => (c.domainname = 'example.org')), id]);
    expect(r).toMatchObject({ code: 0, stdout: 'example.org\n' });
  });

  test('--preserve-fds passes fd 3 and closes the others, as runc', async () => {
    const id = uniqueId('pf');
    const file = path.join(s.dir, 'preserved');
    fs.writeFileSync(file, 'preserved content\n');
    // fd 4 is the same file: if it leaked, a second line would name it
    const bundle = s.bundle(['sh', '-c', 'cat <&3; for f in /proc/$$/fd/*; do readlink $f; done | grep -c preserved']);
    const results: Result[] = [];
    for (const [tool, args] of [
      ['runc', ['--root', path.join(s.dir, 'runc-state'), 'run', '--preserve-fds', '1', '--bundle', bundle, id]],
      [process.execPath, [CLI_ENTRY, '--root', root, 'run', '--preserve-fds', '1', '--bundle', bundle, id]],
    ] as const) {
      const fd = fs.openSync(file, 'r');
      const extra = fs.openSync(file, 'r'); // fd 4: must not reach the container
      try {
        results.push(await exec(tool, [...args], { extraFds: [fd, extra] }));
      } finally {
        fs.closeSync(fd);
        fs.closeSync(extra);
      }
    }
    expect(results[1].stdout).toBe('preserved content\n1\n');
    expect(results[1].stdout).toBe(results[0].stdout);
  });
});

describe('terminal', () => {
  async function withConsole(tool: 'runc' | 'berth', id: string): Promise<{ data: string; output: string; code: number | null }> {
    const sock = path.join(s.dir, `${id}.sock`);
    const listener = unixListen(sock);
    const received = acceptRecvFd(listener);
    const bundle = s.bundle(['sh', '-c', 'tty; stty size; echo hi'], (c) => {
      c.process!.terminal = true;
      c.process!.consoleSize = { height: 30, width: 100 };
    });
    const stateRoot = tool === 'runc' ? path.join(s.dir, 'runc-state') : root;
    const run = tool === 'runc' ? runc : berth;
    try {
      const created = await run(stateRoot, ['create', '--console-socket', sock, '--bundle', bundle, id]);
      expect(created.stderr).not.toMatch(/level=error/);
      const { fd, data } = await received;
      const chunks: Buffer[] = [];
      const done = new Promise<void>((resolve) => {
        const stream = fs.createReadStream('', { fd, autoClose: true });
        stream.on('data', (c) => chunks.push(c as Buffer));
        stream.on('error', () => resolve()); // EIO when the container's side closes
        stream.on('close', () => resolve());
      });
      const pid = JSON.parse((await run(stateRoot, ['state', id])).stdout).pid as number;
      expect((await run(stateRoot, ['start', id])).code).toBe(0);
      expect(waitExit(pid)).toBe(true);
      await done;
      const code = (await run(stateRoot, ['delete', id])).code;
      return { data, output: Buffer.concat(chunks).toString(), code };
    } finally {
      closeFd(listener);
    }
  }

  test('the pty master goes to --console-socket exactly as runc sends it', async () => {
    const want = await withConsole('runc', uniqueId('tty-runc'));
    const got = await withConsole('berth', uniqueId('tty-berth'));
    expect(got).toEqual(want);
    expect(got.data).toBe('/dev/ptmx');
    expect(got.output).toBe('/dev/pts/0\r\n30 100\r\nhi\r\n');
  });

  test('run in the foreground without a console socket proxies the pty', async () => {
    const id = uniqueId('tty-fg');
    const bundle = s.bundle(['sh', '-c', 'tty; exit 5'], (c) => (c.process!.terminal = true));
    const r = await berth(root, ['run', '--bundle', bundle, id]);
    expect(r).toMatchObject({ code: 5, stdout: '/dev/pts/0\r\n' });
  });
});
