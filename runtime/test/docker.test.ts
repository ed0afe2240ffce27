/**
 * Drop-in: Debian's dockerd (with its containerd and containerd-shim-runc-v2)
 * runs containers with `--runtime berth`. The daemon gets a private socket,
 * data root and exec root, and is stopped, with its mounts removed, at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MNT, umount2 } from '@berth/sys';
import { makeDockerSaveTarball } from '@berth/test';
import { CLI_ENTRY, exec, waitExit } from './helpers/bundle';

const IMAGE = 'berth-busybox:latest';
let dir: string;
let daemon: ChildProcess | undefined;
let sock: string;

const docker = (...args: string[]) => exec('docker', ['-H', `unix://${sock}`, ...args]);

function which(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, cmd)));
}

beforeAll(async () => {
  if (!which('dockerd') || !which('docker')) throw new Error('dockerd and docker are needed: apt-get install docker.io');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-docker-'));
  sock = path.join(dir, 'docker.sock');
  const runtime = path.join(dir, 'berth-runtime');
  fs.writeFileSync(runtime, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_ENTRY)} "$@"\n`, { mode: 0o755 });
  const log = fs.openSync(path.join(dir, 'dockerd.log'), 'w');
  daemon = spawn(
    'dockerd',
    [
      '--host', `unix://${sock}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'),
      '--pidfile', path.join(dir, 'docker.pid'), '--iptables=false', '--ip-masq=false', '--bridge=none',
      '--add-runtime', `berth=${runtime}`,
    ],
    { stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  // Ready once the socket exists (watched) and the API answers.
  const failed = () => new Error(`dockerd did not start: ${fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`);
  await new Promise<void>((resolve, reject) => {
    const watcher = fs.watch(dir, () => {
      if (fs.existsSync(sock)) done();
    });
    const onExit = () => done(failed());
    const done = (err?: Error) => {
      watcher.close();
      daemon!.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    daemon!.on('exit', onExit);
    if (fs.existsSync(sock)) done();
  });
  const deadline = Date.now() + 60_000;
  while ((await docker('version', '--format', '{{.Server.Version}}')).code !== 0) {
    if (daemon.exitCode !== null || Date.now() > deadline) throw failed();
  }
  const tar = path.join(dir, 'busybox.tar');
  await makeDockerSaveTarball(tar, { repository: 'berth-busybox' });
  const load = await docker('load', '-i', tar);
  expect(load.stdout).toContain(`Loaded image: ${IMAGE}`);
}, 120_000);

afterAll(async () => {
  if (daemon?.pid && daemon.exitCode === null) {
    for (const id of (await docker('ps', '-aq')).stdout.split('\n').filter(Boolean)) await docker('rm', '-f', id);
    daemon.kill('SIGTERM');
    waitExit(daemon.pid, 30_000);
  }
  if (!dir) return;
  // Whatever the daemon left mounted under its roots, deepest first.
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(dir + '/'));
  for (const m of mounts.sort((a, b) => b.length - a.length)) {
    try {
      umount2(m, MNT.DETACH);
    } catch {
      // already gone with its parent
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('docker --runtime berth', () => {
  test('docker run --rm echo hi', async () => {
    const r = await docker('run', '--rm', '--runtime', 'berth', IMAGE, 'echo', 'hi');
    expect(r).toMatchObject({ code: 0, stdout: 'hi\n' });
    // containerd-shim-runc-v2 drove berth-runtime with runc's argv
    expect(fs.readdirSync(path.join(dir, 'exec', 'runtime-runc', 'moby'))).toEqual([]);
  });

  test('docker run -d, then docker stop: SIGTERM, then SIGKILL after the timeout', async () => {
    const trap = await docker('run', '-d', '--runtime', 'berth', IMAGE, 'sh', '-c', 'trap "exit 3" TERM; sleep 1000 & wait');
    const stubborn = await docker('run', '-d', '--runtime', 'berth', IMAGE, 'sleep', '1000');
    const [a, b] = [trap.stdout.trim(), stubborn.stdout.trim()];
    expect((await docker('inspect', '-f', '{{.State.Running}}', a, b)).stdout).toBe('true\ntrue\n');
    // wait until the trap is installed: sh has a handler for SIGTERM (SigCgt bit 15)
    const pid = Number((await docker('inspect', '-f', '{{.State.Pid}}', a)).stdout);
    for (let i = 0; i < 100_000; i++) {
      const m = /SigCgt:\s*([0-9a-f]+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m && (BigInt(`0x${m[1]}`) >> 14n) & 1n) break;
      await new Promise((r) => setImmediate(r));
    }
    expect((await docker('stop', '-t', '1', a, b)).code).toBe(0);
    expect((await docker('inspect', '-f', '{{.State.ExitCode}} {{.State.Status}}', a, b)).stdout).toBe('3 exited\n137 exited\n');
    expect((await docker('rm', a, b)).code).toBe(0);
  });

  test('docker run -t gets a pty through the console socket', async () => {
    const r = await docker('run', '--rm', '-t', '--runtime', 'berth', IMAGE, 'sh', '-c', 'tty; echo hi');
    expect(r).toMatchObject({ code: 0, stdout: '/dev/pts/0\r\nhi\r\n' });
  });

  test('--memory and --pids-limit land in the cgroup dockerd names; pause, unpause, update, stats', async () => {
    const inside = await docker('run', '--rm', '--runtime', 'berth', '--memory', '64m', IMAGE, 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes');
    expect(inside).toMatchObject({ code: 0, stdout: `${64 << 20}\n` });

    const id = (await docker('run', '-d', '--runtime', 'berth', '--memory', '64m', '--pids-limit', '10', IMAGE, 'sleep', '1000')).stdout.trim();
    // dockerd's cgroupfs driver sends cgroupsPath /docker/<id>
    const cg = (c: string, file: string) => fs.readFileSync(path.join('/sys/fs/cgroup', c, 'docker', id, file), 'utf8').trim();
    expect(cg('memory', 'memory.limit_in_bytes')).toBe(String(64 << 20));
    expect(cg('pids', 'pids.max')).toBe('10');
    expect((await docker('inspect', '-f', '{{.HostConfig.Memory}}', id)).stdout).toBe(`${64 << 20}\n`);

    expect((await docker('pause', id)).code).toBe(0);
    expect(cg('freezer', 'freezer.state')).toBe('FROZEN');
    expect((await docker('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', id)).stdout).toBe('paused true\n');
    expect((await docker('unpause', id)).code).toBe(0);
    expect(cg('freezer', 'freezer.state')).toBe('THAWED');

    // containerd's shim sends `update --resources -`
    const up = await docker('update', '--cpus', '0.5', '--pids-limit', '20', id);
    expect(up.stderr).toBe('');
    expect(cg('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(cg('pids', 'pids.max')).toBe('20');

    const stats = await docker('stats', '--no-stream', '--format', '{{.MemUsage}}', id);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/ \/ 64MiB\n$/);
    expect((await docker('rm', '-f', id)).code).toBe(0);
    expect(fs.existsSync(path.join('/sys/fs/cgroup/memory/docker', id))).toBe(false);
  });

  test('a process over --memory is OOM-killed: exit 137 and OOMKilled', async () => {
    const r = await docker('run', '--runtime', 'berth', '--memory', '32m', IMAGE, 'tail', '/dev/zero');
    expect(r.code).toBe(137);
    const id = (await docker('ps', '-lq')).stdout.trim();
    expect((await docker('inspect', '-f', '{{.State.ExitCode}} {{.State.OOMKilled}}', id)).stdout).toBe('137 true\n');
    expect((await docker('rm', id)).code).toBe(0);
  });

  test('docker exec, with and without -t: in the container, its status passed on', async () => {
    const id = (await docker('run', '-d', '--runtime', 'berth', '--hostname', 'box', IMAGE, 'sleep', '1000')).stdout.trim();
    const pid = Number((await docker('inspect', '-f', '{{.State.Pid}}', id)).stdout);
    // containerd's shim: exec --process FILE --detach --pid-file FILE ID
    const r = await docker('exec', id, 'sh', '-c', 'hostname; cat /proc/1/cmdline; echo; readlink /proc/self/ns/pid');
    expect(r).toMatchObject({ code: 0, stdout: `box\nsleep\x001000\x00\n${fs.readlinkSync(`/proc/${pid}/ns/pid`)}\n` });
    expect((await docker('exec', id, 'sh', '-c', 'exit 3')).code).toBe(3);
    const t = await docker('exec', '-t', id, 'sh', '-c', 'tty; echo hi');
    expect(t).toMatchObject({ code: 0, stdout: '/dev/pts/0\r\nhi\r\n' });
    expect((await docker('rm', '-f', id)).code).toBe(0);
  });
});
