import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  MNT, MS, S_IF, SysError, acceptRecvFd, closeFd, getXattr, listXattrs, mknod, mount, openpty, pidfdOpen,
  pidfdSendSignal, pollReadable, prctl, PR, removeXattr, sendFd, setXattr, umount2, unixConnect, unixListen,
} from '@berth/sys';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-sys-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function isMountPoint(p: string): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);
}

describe('mount', () => {
  test('mounts and unmounts a tmpfs with flags and data', () => {
    const target = path.join(dir, 'mnt');
    fs.mkdirSync(target);
    mount('tmpfs', target, 'tmpfs', MS.NOSUID | MS.NODEV, 'size=1m,mode=700');
    try {
      expect(isMountPoint(target)).toBe(true);
      expect(fs.statSync(target).mode & 0o777).toBe(0o700);
      const line = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === target)!;
      expect(line).toMatch(/nosuid,nodev/);
      expect(line).toMatch(/size=1024k/);
      fs.writeFileSync(path.join(target, 'f'), 'x');
    } finally {
      umount2(target, MNT.DETACH);
    }
    expect(isMountPoint(target)).toBe(false);
    expect(fs.existsSync(path.join(target, 'f'))).toBe(false);
  });

  test('a failed mount is a SysError naming the errno and the path', () => {
    const target = path.join(dir, 'missing');
    let err: unknown;
    try {
      mount('tmpfs', target, 'tmpfs', 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SysError);
    const e = err as SysError;
    expect(e.code).toBe('ERR_BERTH_SYSCALL');
    expect(e.errno).toBe('ENOENT');
    expect(e.syscall).toBe('mount');
    expect(e.path).toBe(target);
    expect(e.message).toContain(target);
  });

  test('umount2 of a directory that is not a mount point fails with EINVAL', () => {
    expect(() => umount2(dir)).toThrow(expect.objectContaining({ errno: 'EINVAL', path: dir }));
  });
});

describe('files', () => {
  test('mknod makes a character device with the given numbers', () => {
    const p = path.join(dir, 'null');
    mknod(p, S_IF.CHR | 0o666, 1, 3);
    const st = fs.statSync(p);
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe((1 << 8) | 3);
    fs.writeFileSync(p, 'discarded');
  });

  test('xattrs round-trip without following symlinks', () => {
    const f = path.join(dir, 'f');
    fs.writeFileSync(f, '');
    setXattr(f, 'user.berth', Buffer.from('v1'));
    expect(getXattr(f, 'user.berth').toString()).toBe('v1');
    expect(listXattrs(f)).toContain('user.berth');
    removeXattr(f, 'user.berth');
    expect(() => getXattr(f, 'user.berth')).toThrow(expect.objectContaining({ errno: 'ENODATA' }));
    const link = path.join(dir, 'l');
    fs.symlinkSync(f, link);
    setXattr(f, 'user.target', Buffer.from('t'));
    expect(listXattrs(link)).not.toContain('user.target');
  });
});

describe('fds', () => {
  test('passes a file descriptor over a unix socket with SCM_RIGHTS', async () => {
    const sock = path.join(dir, 's.sock');
    const listener = unixListen(sock);
    const received = acceptRecvFd(listener);
    const client = unixConnect(sock);
    const file = path.join(dir, 'payload');
    fs.writeFileSync(file, 'through the socket');
    const fd = fs.openSync(file, 'r');
    sendFd(client, fd, '/dev/ptmx');
    const got = await received;
    try {
      expect(got.data).toBe('/dev/ptmx');
      expect(got.fd).not.toBe(fd);
      expect(fs.readFileSync(got.fd, 'utf8')).toBe('through the socket');
    } finally {
      fs.closeSync(fd);
      closeFd(got.fd);
      closeFd(client);
      closeFd(listener);
    }
  });

  test('openpty gives a connected master and slave', () => {
    const pty = openpty();
    try {
      expect(pty.path).toMatch(/^\/dev\/pts\/\d+$/);
      fs.writeSync(pty.slave, 'hello\n');
      const buf = Buffer.alloc(64);
      const n = fs.readSync(pty.master, buf);
      expect(buf.subarray(0, n).toString()).toBe('hello\r\n');
    } finally {
      closeFd(pty.master);
      closeFd(pty.slave);
    }
  });
});

describe('processes', () => {
  test('pidfd signals exactly the process and becomes readable when it exits', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
    const pidfd = pidfdOpen(child.pid!);
    try {
      expect(pollReadable(pidfd, 0)).toBe(false);
      pidfdSendSignal(pidfd, os.constants.signals.SIGTERM);
      expect(await exited).toBe('SIGTERM');
      expect(pollReadable(pidfd, 1000)).toBe(true);
      expect(() => pidfdSendSignal(pidfd, 0)).toThrow(expect.objectContaining({ errno: 'ESRCH' }));
    } finally {
      closeFd(pidfd);
    }
  });

  test('prctl reads process attributes', () => {
    expect(prctl(PR.GET_DUMPABLE)).toBe(1);
    expect(prctl(PR.GET_NO_NEW_PRIVS)).toBe(0);
  });
});
