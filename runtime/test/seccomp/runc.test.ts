// Differential test against runc: for each profile, the probe runs the same
// syscall cases (a) inside a busybox bundle under `runc run` with the profile
// in config.json (runc + libseccomp install the filter) and (b) on the host
// with berth's compiled program installed by the probe. Outputs must match.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeBusyboxRootfs } from '@berth/test';
import { compileSeccomp } from '../../src/seccomp';
import { buildProbe, probeWith } from './probe';
import { PROFILES, i386 } from './profiles';

const run = promisify(execFile);

let dir: string;
let probe: string;
let rootfs: string;
let stateRoot: string;
let ia32 = false;
let n = 0;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-seccomp-runc-'));
  probe = await buildProbe(dir);
  rootfs = path.join(dir, 'rootfs');
  await makeBusyboxRootfs(rootfs);
  fs.copyFileSync(probe, path.join(rootfs, 'seccomp-probe'));
  fs.chmodSync(path.join(rootfs, 'seccomp-probe'), 0o755);
  stateRoot = path.join(dir, 'state');
  // int $0x80 only works where the kernel has IA-32 emulation enabled.
  ia32 = (await probeWith(probe, dir, undefined, [i386('getpid')]))[0].endsWith(' ok');
});

afterAll(async () => {
  // runc run deletes its container on exit; this catches one left by a failure.
  for (let i = 1; i <= n; i++) await run('runc', ['--root', stateRoot, 'delete', '-f', `berth-seccomp-${process.pid}-${i}`]).catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function underRunc(profile: object, cases: string[]): Promise<string[]> {
  const id = `berth-seccomp-${process.pid}-${++n}`;
  const bundle = path.join(dir, id);
  fs.mkdirSync(bundle);
  await run('runc', ['spec', '--bundle', bundle]);
  const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as {
    process: { terminal: boolean; args: string[]; noNewPrivileges?: boolean };
    root: { path: string; readonly: boolean };
    linux: { seccomp?: object };
  };
  config.process.terminal = false;
  config.process.args = ['/seccomp-probe', ...cases];
  config.root = { path: rootfs, readonly: true };
  config.linux.seccomp = profile;
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
  const { stdout } = await run('runc', ['--root', stateRoot, 'run', '--bundle', bundle, id]);
  return stdout.trimEnd().split('\n');
}

test(`at least 15 profiles (${PROFILES.length}) fail the same syscalls with the same errno under runc and under berth's program`, async () => {
  expect(PROFILES.length).toBeGreaterThanOrEqual(15);
  const outcomes = async (p: (typeof PROFILES)[number]): Promise<{ ours: string[]; theirs: string[] }> => {
    const cases = [...p.cases, ...(ia32 ? (p.i386 ?? []) : [])];
    const [theirs, ours] = await Promise.all([underRunc(p.profile, cases), probeWith(probe, dir, compileSeccomp(p.profile), cases)]);
    return { ours, theirs };
  };
  // Three containers at a time: runc's start-up dominates.
  const results: Array<{ ours: string[]; theirs: string[] }> = [];
  for (let i = 0; i < PROFILES.length; i += 3) results.push(...(await Promise.all(PROFILES.slice(i, i + 3).map(outcomes))));
  PROFILES.forEach((p, i) => expect([p.name, results[i].ours]).toEqual([p.name, results[i].theirs]));
  // The cases exercise real outcomes, not merely the unfiltered ones.
  const all = results.flatMap((r) => r.ours).join('\n');
  for (const outcome of [' signal 31', ' errno 1\n', ' errno 38', ' errno 7', ' errno 13']) expect(all).toContain(outcome);
});
