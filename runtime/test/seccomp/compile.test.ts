import fs from 'node:fs';
import path from 'node:path';
import type { RuntimeTypes } from '@berth/spec';
import {
  AUDIT_ARCH,
  SECCOMP_FILTER_FLAG,
  SECCOMP_RET,
  SeccompError,
  SeccompTooLargeError,
  X32_SYSCALL_BIT,
  compileSeccomp,
  decodeProgram,
  disassemble,
  evaluate,
  evaluatePolicy,
  seccompFeatures,
} from '../../src/seccomp';

const dockerDefault = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures', 'docker-default.json'), 'utf8'),
) as RuntimeTypes.Seccomp;

const X86_64 = AUDIT_ARCH.X86_64;
const I386 = AUDIT_ARCH.I386;
const ERRNO = (e: number): number => (SECCOMP_RET.ERRNO | e) >>> 0;

function run(profile: RuntimeTypes.Seccomp, nr: number, args: bigint[] = [], arch: number = X86_64): number {
  return evaluate(compileSeccomp(profile, { nativeArch: 'x64' }).program, { nr, arch, args });
}

describe('compileSeccomp on Docker\'s default profile', () => {
  const compiled = compileSeccomp(dockerDefault, { nativeArch: 'x64' });

  test('fits the kernel limit and agrees with the reference evaluator on every syscall number of every ABI', () => {
    expect(compiled.program.length % 8).toBe(0);
    expect(compiled.program.length / 8).toBeLessThan(4096);
    const insns = decodeProgram(compiled.program);
    const mismatches: string[] = [];
    for (const arch of [X86_64, I386, AUDIT_ARCH.AARCH64]) {
      for (let nr = 0; nr < 600; nr++) {
        for (const n of arch === X86_64 ? [nr, nr | X32_SYSCALL_BIT] : [nr]) {
          const data = { nr: n, arch, args: [0n, 0n] };
          const got = evaluate(insns, data);
          const want = evaluatePolicy(dockerDefault, data, 'x64');
          if (got !== want) mismatches.push(`arch ${arch.toString(16)} nr ${n}: ${got.toString(16)} != ${want.toString(16)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  test('allows read, denies mount with EPERM, clone3 with ENOSYS, unknown numbers with ENOSYS, other arches killed', () => {
    expect(evaluate(compiled.program, { nr: 0, arch: X86_64 })).toBe(SECCOMP_RET.ALLOW);
    expect(evaluate(compiled.program, { nr: 165, arch: X86_64 })).toBe(ERRNO(1)); // mount
    expect(evaluate(compiled.program, { nr: 435, arch: X86_64 })).toBe(ERRNO(38)); // clone3
    expect(evaluate(compiled.program, { nr: 1000, arch: X86_64 })).toBe(ERRNO(38));
    expect(evaluate(compiled.program, { nr: 11, arch: I386 })).toBe(SECCOMP_RET.ALLOW); // execve on i386
    expect(evaluate(compiled.program, { nr: 520 | X32_SYSCALL_BIT, arch: X86_64 })).toBe(SECCOMP_RET.ALLOW); // x32 execve
    expect(evaluate(compiled.program, { nr: 0, arch: AUDIT_ARCH.AARCH64 })).toBe(SECCOMP_RET.KILL_THREAD);
    // nr -1 is x86_64's (the default here), not a foreign x32 call, even without SCMP_ARCH_X32
    const only64 = compileSeccomp(
      { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] },
      { nativeArch: 'x64' },
    ).program;
    expect(evaluate(only64, { nr: 0xffffffff, arch: X86_64 })).toBe(ERRNO(1)); // and not runc's ENOSYS
    expect(evaluate(only64, { nr: 0x40000027, arch: X86_64 })).toBe(SECCOMP_RET.KILL_THREAD);
    // personality(0xffffffff) is allowed, personality(1) is not; clone without namespace flags only
    expect(evaluate(compiled.program, { nr: 135, arch: X86_64, args: [0xffffffffn] })).toBe(SECCOMP_RET.ALLOW);
    expect(evaluate(compiled.program, { nr: 135, arch: X86_64, args: [1n] })).toBe(ERRNO(1));
    expect(evaluate(compiled.program, { nr: 56, arch: X86_64, args: [0x11n] })).toBe(SECCOMP_RET.ALLOW);
    expect(evaluate(compiled.program, { nr: 56, arch: X86_64, args: [0x10000000n] })).toBe(ERRNO(1)); // CLONE_NEWUSER
  });
});

describe('compileSeccomp semantics', () => {
  const base: RuntimeTypes.Seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };

  test('every action maps to its SECCOMP_RET value, errnoRet and defaultErrnoRet included', () => {
    const cases: Array<[RuntimeTypes.SeccompAction, number | undefined, number]> = [
      ['SCMP_ACT_KILL', undefined, SECCOMP_RET.KILL_THREAD],
      ['SCMP_ACT_KILL_THREAD', undefined, SECCOMP_RET.KILL_THREAD],
      ['SCMP_ACT_KILL_PROCESS', undefined, SECCOMP_RET.KILL_PROCESS],
      ['SCMP_ACT_TRAP', undefined, SECCOMP_RET.TRAP],
      ['SCMP_ACT_ERRNO', undefined, ERRNO(1)],
      ['SCMP_ACT_ERRNO', 13, ERRNO(13)],
      ['SCMP_ACT_TRACE', undefined, (SECCOMP_RET.TRACE | 1) >>> 0],
      ['SCMP_ACT_TRACE', 7, (SECCOMP_RET.TRACE | 7) >>> 0],
      ['SCMP_ACT_LOG', undefined, SECCOMP_RET.LOG],
    ];
    for (const [action, errnoRet, want] of cases) {
      const p = { ...base, syscalls: [{ names: ['getpid'] as [string], action, ...(errnoRet !== undefined ? { errnoRet } : {}) }] };
      expect([action, errnoRet, run(p, 39)]).toEqual([action, errnoRet, want]);
      expect(run(p, 102)).toBe(SECCOMP_RET.ALLOW);
    }
    expect(run({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 5 }, 39)).toBe(ERRNO(5));
  });

  test('64-bit comparisons use both words', () => {
    const big = 0x1_0000_0005n;
    const p = (op: RuntimeTypes.SeccompOperators, value: number, valueTwo?: number): RuntimeTypes.Seccomp => ({
      ...base,
      syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, op, value, ...(valueTwo !== undefined ? { valueTwo } : {}) }] }],
    });
    const hit = (profile: RuntimeTypes.Seccomp, arg: bigint): boolean => run(profile, 39, [0n, 0n, arg]) === ERRNO(1);
    expect(hit(p('SCMP_CMP_EQ', 5), 5n)).toBe(true);
    expect(hit(p('SCMP_CMP_EQ', 5), big)).toBe(false);
    expect(hit(p('SCMP_CMP_NE', 5), big)).toBe(true);
    expect(hit(p('SCMP_CMP_GT', 0x1_0000_0000), big)).toBe(true);
    expect(hit(p('SCMP_CMP_GT', 6), big)).toBe(true);
    expect(hit(p('SCMP_CMP_LT', 6), big)).toBe(false);
    expect(hit(p('SCMP_CMP_LE', 0x1_0000_0005), big)).toBe(true);
    expect(hit(p('SCMP_CMP_GE', 0x1_0000_0006), big)).toBe(false);
    expect(hit(p('SCMP_CMP_MASKED_EQ', 0x1_0000_0000, 0x1_0000_0000), big)).toBe(true);
    expect(hit(p('SCMP_CMP_MASKED_EQ', 0xff, 4), big)).toBe(false);
    // i386 compares the low word only, as libseccomp does for 32-bit ABIs
    const i386 = { ...p('SCMP_CMP_EQ', 5), architectures: ['SCMP_ARCH_X86'] as RuntimeTypes.SeccompArch[] };
    expect(run(i386, 20, [0n, 0n, big], I386)).toBe(ERRNO(1));
  });

  test('args ANDed within a rule, rules ORed, repeated argument split into ORed rules (as runc)', () => {
    const anded: RuntimeTypes.Seccomp = {
      ...base,
      syscalls: [
        {
          names: ['getpid'],
          action: 'SCMP_ACT_ERRNO',
          args: [
            { index: 0, op: 'SCMP_CMP_EQ', value: 1 },
            { index: 1, op: 'SCMP_CMP_EQ', value: 2 },
          ],
        },
      ],
    };
    expect(run(anded, 39, [1n, 2n])).toBe(ERRNO(1));
    expect(run(anded, 39, [1n, 3n])).toBe(SECCOMP_RET.ALLOW);
    const repeated: RuntimeTypes.Seccomp = {
      ...base,
      syscalls: [
        {
          names: ['getpid'],
          action: 'SCMP_ACT_ERRNO',
          args: [
            { index: 0, op: 'SCMP_CMP_EQ', value: 1 },
            { index: 0, op: 'SCMP_CMP_EQ', value: 2 },
          ],
        },
      ],
    };
    expect(run(repeated, 39, [2n])).toBe(ERRNO(1));
    expect(run(repeated, 39, [3n])).toBe(SECCOMP_RET.ALLOW);
  });

  test('flags: LOG, SPEC_ALLOW, NEW_LISTENER with NOTIFY, WAIT_KILLABLE_RECV', () => {
    expect(compileSeccomp({ ...base, flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'] }).flags).toBe(
      SECCOMP_FILTER_FLAG.LOG | SECCOMP_FILTER_FLAG.SPEC_ALLOW,
    );
    const notify = compileSeccomp({
      ...base,
      listenerPath: '/run/agent.sock',
      flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
    });
    expect(notify.flags).toBe(SECCOMP_FILTER_FLAG.NEW_LISTENER | SECCOMP_FILTER_FLAG.WAIT_KILLABLE_RECV);
    expect(notify.listenerPath).toBe('/run/agent.sock');
    expect(evaluate(notify.program, { nr: 83, arch: X86_64 })).toBe(SECCOMP_RET.USER_NOTIF);
  });

  test('unknown names are skipped and reported; names known on one ABI only apply there', () => {
    const p: RuntimeTypes.Seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [{ names: ['no_such_call', 'socketcall'], action: 'SCMP_ACT_ERRNO' }],
    };
    const c = compileSeccomp(p, { nativeArch: 'x64' });
    expect(c.unknownNames).toEqual(['no_such_call']);
    expect(evaluate(c.program, { nr: 102, arch: I386 })).toBe(ERRNO(1));
    expect(evaluate(c.program, { nr: 102, arch: X86_64 })).toBe(SECCOMP_RET.ALLOW);
  });

  test('i386 socket calls are filtered both direct and through socketcall(2), as libseccomp does', () => {
    const p: RuntimeTypes.Seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86'],
      syscalls: [
        { names: ['socket'], action: 'SCMP_ACT_ALLOW' },
        { names: ['connect'], action: 'SCMP_ACT_ERRNO', errnoRet: 7, args: [{ index: 0, op: 'SCMP_CMP_EQ', value: 5 }, { index: 2, op: 'SCMP_CMP_LT', value: 16 }] },
      ],
    };
    const c = compileSeccomp(p, { nativeArch: 'x64' });
    expect(evaluate(c.program, { nr: 359, arch: I386 })).toBe(SECCOMP_RET.ALLOW); // socket
    expect(evaluate(c.program, { nr: 102, arch: I386, args: [1n] })).toBe(SECCOMP_RET.ALLOW); // socketcall(SYS_SOCKET)
    expect(evaluate(c.program, { nr: 102, arch: I386, args: [2n] })).toBe(ERRNO(1)); // SYS_BIND
    // connect: the call number stands in for the condition on argument 0; argument 2 is still tested
    expect(evaluate(c.program, { nr: 102, arch: I386, args: [3n, 0n, 8n] })).toBe(ERRNO(7));
    expect(evaluate(c.program, { nr: 102, arch: I386, args: [3n, 0n, 32n] })).toBe(ERRNO(1));
    expect(evaluate(c.program, { nr: 362, arch: I386, args: [5n, 0n, 8n] })).toBe(ERRNO(7)); // connect direct
    expect(evaluate(c.program, { nr: 362, arch: I386, args: [4n, 0n, 8n] })).toBe(ERRNO(1));
  });

  test('i386 SysV IPC calls are filtered through ipc(2) too, other conditions at their index', () => {
    const p: RuntimeTypes.Seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86'],
      syscalls: [
        { names: ['shmget'], action: 'SCMP_ACT_ALLOW' },
        { names: ['shmctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 8, args: [{ index: 1, op: 'SCMP_CMP_EQ', value: 9 }] },
      ],
    };
    const c = compileSeccomp(p, { nativeArch: 'x64' });
    expect(evaluate(c.program, { nr: 117, arch: I386, args: [23n] })).toBe(SECCOMP_RET.ALLOW); // ipc(SHMGET)
    expect(evaluate(c.program, { nr: 117, arch: I386, args: [24n, 9n] })).toBe(ERRNO(8)); // ipc(SHMCTL) with arg 1 = 9
    expect(evaluate(c.program, { nr: 117, arch: I386, args: [24n, 3n] })).toBe(ERRNO(1));
    expect(evaluate(c.program, { nr: 395, arch: I386 })).toBe(SECCOMP_RET.ALLOW); // shmget direct
  });

  test('bad input is refused naming the field', () => {
    const bad = (p: unknown, re: RegExp): void => {
      expect(() => compileSeccomp(p as RuntimeTypes.Seccomp)).toThrow(SeccompError);
      expect(() => compileSeccomp(p as RuntimeTypes.Seccomp)).toThrow(re);
    };
    bad({ defaultAction: 'SCMP_ACT_NOPE' }, /seccomp\.defaultAction: unknown action "SCMP_ACT_NOPE"/);
    bad({ defaultAction: 'SCMP_ACT_NOTIFY' }, /cannot be the default action/);
    bad({ ...base, architectures: ['SCMP_ARCH_S390X'] }, /seccomp\.architectures\[0\]: "SCMP_ARCH_S390X" is not supported/);
    bad({ ...base, syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] }, /syscalls\[0\]\.action: errnoRet is only allowed/);
    bad({ ...base, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, op: 'SCMP_CMP_EQ', value: 0 }] }] }, /syscalls\[0\]\.args\[0\]\.index/);
    bad({ ...base, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, op: 'SCMP_CMP_XX', value: 0 }] }] }, /args\[0\]\.op: unknown operator/);
    bad({ ...base, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, op: 'SCMP_CMP_EQ', value: -1 }] }] }, /args\[0\]\.value: must be an unsigned 64-bit integer/);
    bad({ ...base, syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }, /listenerPath: required/);
    bad({ ...base, listenerPath: '/x', syscalls: [{ names: ['write'], action: 'SCMP_ACT_NOTIFY' }] }, /cannot be used for write/);
    bad({ ...base, flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, /flags\[0\]: .*needs a rule with SCMP_ACT_NOTIFY/);
    bad({ ...base, flags: ['SECCOMP_FILTER_FLAG_BOGUS'] }, /flags\[0\]: unknown flag/);
  });

  test('long jumps: a profile with thousands of conditional rules still assembles and evaluates right', () => {
    const syscalls: RuntimeTypes.Syscall[] = [];
    for (let v = 0; v < 300; v++) {
      syscalls.push({ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: (v % 100) + 1, args: [{ index: 1, op: 'SCMP_CMP_EQ', value: v * 3 }] });
    }
    const p: RuntimeTypes.Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls };
    const c = compileSeccomp(p, { nativeArch: 'x64' });
    const insns = decodeProgram(c.program);
    expect(insns.length).toBeGreaterThan(1000);
    expect(insns.some((i) => i.code === 0x05 && i.k > 255)).toBe(true); // a ja past 255
    for (const v of [0, 3, 299 * 3, 298 * 3 + 1, 5000]) {
      const data = { nr: 16, arch: X86_64, args: [0n, BigInt(v)] };
      expect(evaluate(c.program, data)).toBe(evaluatePolicy(p, data, 'x64'));
    }
    expect(evaluate(c.program, { nr: 16, arch: X86_64, args: [0n, 897n] })).toBe(ERRNO(100));
  });

  test('a program over BPF_MAXINSNS is refused with the count', () => {
    const syscalls: RuntimeTypes.Syscall[] = [];
    for (let v = 0; v < 1500; v++) syscalls.push({ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, op: 'SCMP_CMP_EQ', value: v }] });
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls }, { nativeArch: 'x64' })).toThrow(SeccompTooLargeError);
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls }, { nativeArch: 'x64' })).toThrow(
      /compiles to \d+ BPF instructions, more than the kernel's limit of 4096/,
    );
  });
});

describe('syscall tables and other native architectures', () => {
  test('the committed tables match the UAPI headers they were generated from', async () => {
    const { execFile } = await import('node:child_process');
    const script = path.join(__dirname, '..', '..', 'scripts', 'seccomp-tables.js');
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, [script, '--check'], (err, _stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve()));
    });
  });

  test('an aarch64 filter with the ARM compat ABI', () => {
    const p: RuntimeTypes.Seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
      syscalls: [{ names: ['read', 'openat', 'set_tls', 'open'], action: 'SCMP_ACT_ALLOW' }],
    };
    const c = compileSeccomp(p, { nativeArch: 'arm64' });
    expect(evaluate(c.program, { nr: 63, arch: AUDIT_ARCH.AARCH64 })).toBe(SECCOMP_RET.ALLOW); // read
    expect(evaluate(c.program, { nr: 56, arch: AUDIT_ARCH.AARCH64 })).toBe(SECCOMP_RET.ALLOW); // openat
    expect(evaluate(c.program, { nr: 57, arch: AUDIT_ARCH.AARCH64 })).toBe(ERRNO(1)); // close
    expect(evaluate(c.program, { nr: 64, arch: AUDIT_ARCH.AARCH64 })).toBe(ERRNO(38)); // write: above the last named
    expect(evaluate(c.program, { nr: 3, arch: AUDIT_ARCH.ARM })).toBe(SECCOMP_RET.ALLOW); // read
    expect(evaluate(c.program, { nr: 5, arch: AUDIT_ARCH.ARM })).toBe(SECCOMP_RET.ALLOW); // open
    expect(evaluate(c.program, { nr: 0x0f0005, arch: AUDIT_ARCH.ARM })).toBe(SECCOMP_RET.ALLOW); // set_tls
    expect(evaluate(c.program, { nr: 0x0f0006, arch: AUDIT_ARCH.ARM })).toBe(ERRNO(38)); // above the last named: ENOSYS
    expect(evaluate(c.program, { nr: 0, arch: X86_64 })).toBe(SECCOMP_RET.KILL_THREAD);
    expect(() => compileSeccomp(p, { nativeArch: 'riscv64' })).toThrow(/native architecture riscv64 is not supported/);
  });
});

describe('features and disassembly', () => {
  test('features list what the compiler supports; supportedFlags follow the kernel release', () => {
    const f = seccompFeatures('5.15.0-91-generic');
    expect(f.enabled).toBe(true);
    expect(f.actions).toHaveLength(9);
    expect(f.operators).toHaveLength(7);
    expect(f.archs).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(f.knownFlags).toContain('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV');
    expect(f.supportedFlags).toEqual(['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW']);
    expect(seccompFeatures('6.1.0').supportedFlags).toContain('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV');
  });

  test('disassemble lists the arch check, the rules and the returns', () => {
    const text = disassemble(
      compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }, { nativeArch: 'x64' })
        .program,
    );
    expect(text.split('\n')[0]).toBe('0000: ld [4]');
    expect(text).toContain('jeq #0xc000003e');
    expect(text).toContain('jeq #0xa5'); // mount = 165
    expect(text).toContain('ret ERRNO(13)');
    expect(text).toContain('ret ALLOW');
    expect(text).toContain('ret KILL_THREAD');
  });
});
