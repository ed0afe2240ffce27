'use strict';
// A private dockerd for the benches: its own socket, data root, exec root (so its
// managed containerd is private too), no networking set-up. `stop()` ends it and
// removes whatever it left mounted under its directory, deepest first.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function mountsUnder(dir) {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && m.startsWith(dir + '/'));
}

/** Starts dockerd under `dir`; resolves once its API answers. */
async function startDockerd(dir, extraArgs = []) {
  fs.mkdirSync(dir, { recursive: true });
  const sock = path.join(dir, 'docker.sock');
  const logPath = path.join(dir, 'dockerd.log');
  const log = fs.openSync(logPath, 'w');
  const child = spawn(
    'dockerd',
    [
      '--host', `unix://${sock}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'),
      '--pidfile', path.join(dir, 'docker.pid'), '--iptables=false', '--ip-masq=false', '--bridge=none',
      ...extraArgs,
    ],
    { stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  const docker = (...args) => spawnSync('docker', ['-H', `unix://${sock}`, ...args], { encoding: 'utf8' });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const ids = (docker('ps', '-aq').stdout ?? '').split('\n').filter(Boolean);
      if (ids.length) docker('rm', '-f', ...ids);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const m of mountsUnder(dir).sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Polling the API: the daemon has no readiness signal we can wait on.
  const deadline = Date.now() + 60_000;
  while (docker('version', '--format', '{{.Server.Version}}').status !== 0) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = fs.readFileSync(logPath, 'utf8').slice(-2000);
      await stop();
      throw new Error(`dockerd did not start:\n${tail}`);
    }
    await sleep(100);
  }
  return { sock, docker, stop, args: ['-H', `unix://${sock}`] };
}

module.exports = { startDockerd, mountsUnder };
