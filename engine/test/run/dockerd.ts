/**
 * A private dockerd (Debian's docker.io) as the oracle of the `berth run`
 * parity tests: its own socket, data and exec roots, no networking set-up.
 * stop() removes its containers, ends it and unmounts what it left.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MNT, umount2 } from '@berth/sys';
import type { Result } from '../helpers';

export interface Dockerd {
  /** `docker -H <socket> ARGS` to completion. */
  docker(args: string[], options?: { input?: string }): Result;
  /** The arguments that point the docker CLI at this daemon. */
  hostArgs: string[];
  stop(): Promise<void>;
}

function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && m.startsWith(`${dir}/`));
}

export async function startDockerd(dir: string): Promise<Dockerd> {
  const sock = path.join(dir, 'docker.sock');
  const logPath = path.join(dir, 'dockerd.log');
  const log = fs.openSync(logPath, 'w');
  const child = spawn(
    'dockerd',
    [
      '--host', `unix://${sock}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'),
      '--pidfile', path.join(dir, 'docker.pid'), '--iptables=false', '--ip-masq=false', '--bridge=none',
    ],
    { stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  const hostArgs = ['-H', `unix://${sock}`];
  const docker = (args: string[], options: { input?: string } = {}): Result => {
    const r = spawnSync('docker', [...hostArgs, ...args], { encoding: 'utf8', input: options.input ?? '' });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const ids = docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
      if (ids.length > 0) docker(['rm', '-f', ...ids]);
      child.kill('SIGTERM');
      await exited;
    }
    for (const m of mountsUnder(dir).sort((a, b) => b.length - a.length)) umount2(m, MNT.DETACH);
  };
  // The daemon has no readiness signal to wait on but its API answering.
  const deadline = Date.now() + 60_000;
  while (docker(['version', '--format', '{{.Server.Version}}']).code !== 0) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`dockerd did not start: ${fs.readFileSync(logPath, 'utf8').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { docker, hostArgs, stop };
}
