// The compiled programs on the real kernel: loaded by a small C probe that
// installs them with seccomp(2) and makes raw syscalls.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RuntimeTypes } from '@berth/spec';
import { SECCOMP_FILTER_FLAG, compileSeccomp } from '../../src/seccomp';
import { buildProbe, probeWith } from './probe';
import { dockerDefault, sys, x32 } from './profiles';

let dir: string;
let probe: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-seccomp-'));
  probe = await buildProbe(dir);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const on = (profile: RuntimeTypes.Seccomp, cases: string[]): Promise<string[]> => probeWith(probe, dir, compileSeccomp(profile), cases);

test('without a filter the probe cases fail the harmless way', async () => {
  expect(await probeWith(probe, dir, undefined, [sys('getpid'), sys('mount', 0, 0, 0, 0, 0), sys('lseek', 999, 0, 0), '1000'])).toEqual([
    `${sys('getpid')} ok`,
    `${sys('mount', 0, 0, 0, 0, 0)} errno 14`,
    `${sys('lseek', 999, 0, 0)} errno 9`,
    '1000 errno 38',
  ]);
});

test('Docker\'s default profile loads and denies what Docker denies', async () => {
  const cases = [sys('getpid'), sys('mount', 0, 0, 0, 0, 0), sys('unshare', 0x10000000), sys('clone3', 0, 0), '1000', sys('personality', 0xffffffff), sys('reboot', 0, 0, 0, 0)];
  expect(await on(dockerDefault, cases)).toEqual([
    `${cases[0]} ok`,
    `${cases[1]} errno 1`,
    `${cases[2]} errno 1`,
    `${cases[3]} errno 38`,
    '1000 errno 38',
    `${cases[5]} ok`,
    `${cases[6]} errno 1`,
  ]);
});

test('every action behaves as the kernel documents it', async () => {
  const profile: RuntimeTypes.Seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['getpriority'], action: 'SCMP_ACT_KILL' },
      { names: ['lseek'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['dup'], action: 'SCMP_ACT_TRAP' },
      { names: ['setns'], action: 'SCMP_ACT_TRACE' },
      { names: ['mkdir'], action: 'SCMP_ACT_LOG' },
      { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 0 },
      { names: ['chdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 },
      { names: ['getppid'], action: 'SCMP_ACT_KILL_THREAD' },
    ],
  };
  const cases = [sys('getpriority', 99, 0), sys('lseek', 999, 0, 0), sys('dup', 999), sys('setns', 999, 0), sys('mkdir', 0, 0), sys('rmdir', 0), sys('chdir', 0), sys('getppid'), sys('getpid')];
  expect(await on(profile, cases)).toEqual([
    `${cases[0]} signal 31`,
    `${cases[1]} signal 31`,
    `${cases[2]} signal 31`,
    `${cases[3]} errno 38`, // no tracer: the syscall is skipped with ENOSYS
    `${cases[4]} errno 14`,
    `${cases[5]} ok`,
    `${cases[6]} errno 77`,
    `${cases[7]} signal 31`,
    `${cases[8]} ok`,
  ]);
});

test('NOTIFY hands the call to the listener (with WAIT_KILLABLE_RECV); flags LOG and SPEC_ALLOW load', async () => {
  const notify = compileSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    listenerPath: '/run/unused.sock',
    flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_LOG'],
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
  });
  expect(notify.flags & SECCOMP_FILTER_FLAG.NEW_LISTENER).toBeTruthy();
  // The probe's listener answers -EXDEV (18).
  expect(await probeWith(probe, dir, notify, [sys('mkdir', 0, 0), sys('rmdir', 0)])).toEqual([`${sys('mkdir', 0, 0)} errno 18`, `${sys('rmdir', 0)} errno 14`]);
  const flagged = compileSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 30 }],
  });
  expect(await probeWith(probe, dir, flagged, [sys('mkdir', 0, 0)])).toEqual([`${sys('mkdir', 0, 0)} errno 30`]);
});

test('x32 calls: filtered as x32 when listed, killed as a foreign ABI when not', async () => {
  const listed = await on(
    { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'], syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 4 }] },
    [x32('getpid'), x32('getppid'), sys('getpid')],
  );
  expect(listed).toEqual([`${x32('getpid')} errno 4`, `${x32('getppid')} errno 38`, `${sys('getpid')} errno 4`]);
  const unlisted = await on({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'] }, [x32('getpid'), sys('getpid')]);
  expect(unlisted).toEqual([`${x32('getpid')} signal 31`, `${sys('getpid')} ok`]);
});

test('a 64-bit comparison on the real kernel: only the high word differs', async () => {
  const profile: RuntimeTypes.Seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 7, args: [{ index: 1, op: 'SCMP_CMP_EQ', value: 0x500000007 }] }],
  };
  const cases = [sys('lseek', 999, 0x500000007n, 0), sys('lseek', 999, 7, 0), sys('lseek', 999, 0x400000007n, 0)];
  expect(await on(profile, cases)).toEqual([`${cases[0]} errno 7`, `${cases[1]} errno 9`, `${cases[2]} errno 9`]);
});
