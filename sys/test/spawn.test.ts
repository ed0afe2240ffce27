import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SysError, clearCloexec, closeFd, socketPair, spawnProcess } from '@berth/sys';

let dir: string;
const opened: number[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), `berth-spawn-${process.pid}-`));
});
afterEach(() => {
  for (const fd of opened.splice(0)) closeFd(fd);
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(name: string, flags: string): number {
  const fd = fs.openSync(path.join(dir, name), flags);
  opened.push(fd);
  return fd;
}

/** Runs a shell script with `fds` and returns its exit and what it wrote to its fd 1 (a file). */
async function sh(script: string, fds: (out: number) => number[]): Promise<{ code: number | null; signal: number | null; out: string }> {
  const out = open('out', 'w');
  const child = spawnProcess('/bin/sh', ['sh', '-c', script], fds(out));
  const status = await child.exited;
  return { ...status, out: fs.readFileSync(path.join(dir, 'out'), 'utf8') };
}

describe('spawnProcess', () => {
  test('the child gets exactly the fds given, at their indexes; nothing else of ours, close-on-exec or not', async () => {
    fs.writeFileSync(path.join(dir, 'data'), 'x');
    const data = open('data', 'r');
    const out = open('out', 'w');
    const [ours, theirs] = socketPair();
    opened.push(ours, theirs);
    // An fd a careless library left inheritable: it must not cross either.
    const leaky = open('leaky', 'w');
    clearCloexec(leaky);
    // The shell says when it has started (and blocks reading): its fd table is final then.
    // No redirection in the script: the shell would hold a saved copy of the fd meanwhile.
    const child = spawnProcess('/bin/sh', ['sh', '-c', 'echo ready; read x'], [theirs, theirs, 2, data, out]);
    expect(fs.readSync(ours, Buffer.alloc(6))).toBe(6);
    const fdDir = `/proc/${child.pid}/fd`;
    const table = fs.readdirSync(fdDir).map(Number).sort((x, y) => x - y);
    const targets = table.map((fd) => fs.readlinkSync(path.join(fdDir, String(fd))));
    fs.writeSync(ours, '\n');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(table).toEqual([0, 1, 2, 3, 4]);
    const socket = fs.readlinkSync(`/proc/self/fd/${theirs}`);
    expect(targets).toEqual([socket, socket, fs.readlinkSync('/proc/self/fd/2'), path.join(dir, 'data'), path.join(dir, 'out')]);
  });

  test('sources that are also targets are moved out of the way first (a swap)', async () => {
    // Two fds of ours, given swapped: a naive dup2 in order would give both the same file.
    const a = open('a', 'w');
    const b = open('b', 'w');
    const filler = open('filler', 'w');
    const max = Math.max(a, b);
    const r = await sh(`readlink /proc/$$/fd/${a} /proc/$$/fd/${b}`, (out) => {
      const fds = [0, out, 2];
      for (let i = 3; i <= max; i++) fds.push(i === a ? b : i === b ? a : filler);
      return fds;
    });
    expect(r.out).toBe(`${path.join(dir, 'b')}\n${path.join(dir, 'a')}\n`);
    // Ours are untouched.
    expect(fs.readlinkSync(`/proc/self/fd/${a}`)).toBe(path.join(dir, 'a'));
    expect(fs.readlinkSync(`/proc/self/fd/${b}`)).toBe(path.join(dir, 'b'));
  });

  test('exit code, killing signal; signals default and unblocked in the child though Node ignores SIGPIPE', async () => {
    expect(await sh('exit 7', (out) => [0, out, 2])).toMatchObject({ code: 7, signal: null });
    expect(await sh('kill -KILL $$', (out) => [0, out, 2])).toMatchObject({ code: null, signal: 9 });
    const r = await sh('grep -E "^Sig(Ign|Blk)" /proc/$$/status', (out) => [0, out, 2]);
    expect(r.out).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
  });

  test('sealed: the child runs from a sealed memfd, not from the file', async () => {
    const out = open('out', 'w');
    const child = spawnProcess('/bin/readlink', ['readlink', '/proc/self/exe'], [0, out, 2], { sealed: true });
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(fs.readFileSync(path.join(dir, 'out'), 'utf8')).toMatch(/^\/memfd:readlink \(deleted\)\n$/);
  });

  test('a missing or unrunnable binary is a SysError naming it, and nothing is left running', async () => {
    const missing = path.join(dir, 'no-such-binary');
    for (const sealed of [false, true]) {
      const err = (() => {
        try {
          spawnProcess(missing, ['x'], [0, 1, 2], { sealed });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(SysError);
      expect((err as SysError).errno).toBe('ENOENT');
      expect((err as SysError).message).toContain(missing);
    }
    const notExec = path.join(dir, 'text');
    fs.writeFileSync(notExec, 'not a program', { mode: 0o755 });
    expect(() => spawnProcess(notExec, ['x'], [0, 1, 2], { sealed: true })).toThrow(new RegExp(`${notExec}.*ENOEXEC`));
    // The failed child was reaped at once: no zombie child of ours.
    const children = fs.readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim();
    for (const pid of children.split(' ').filter(Boolean)) expect(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).not.toMatch(/^\d+ \(.*\) Z /);
  });

  test('bad arguments are TypeErrors', () => {
    expect(() => spawnProcess('/bin/true', [], [0, 1, 2])).toThrow(/argv/);
    expect(() => spawnProcess('/bin/true', ['true'], [-1])).toThrow(/fds/);
  });
});
