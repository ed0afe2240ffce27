import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { encodePlan, initPath, LaunchPlan, PlanEncodeError } from '@berth/sys';

const base: LaunchPlan = {
  namespaces: [{ type: 'pid' }, { type: 'network', path: '/run/netns/x' }],
  rootfs: '/b/rootfs', rootPropagation: 0, mounts: [], devices: [], symlinks: [], noPivot: false,
  readonlyRoot: false, maskedPaths: [], readonlyPaths: [], sysctl: [], rlimits: [], noNewPrivileges: false,
  uid: 0, gid: 0, additionalGids: [], cwd: '/', env: ['PATH=/bin'], args: ['sh', '-c', 'echo hi'],
  preserveFds: 0, wait: false,
};

describe('plan encoding', () => {
  test('is a u32 length followed by NUL-terminated records', () => {
    const buf = encodePlan({ ...base, umask: 0o027, capabilities: { bounding: 1n << 40n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n } });
    expect(buf.readUInt32LE(0)).toBe(buf.length - 4);
    const strings = buf.subarray(4).toString().split('\0');
    expect(strings.pop()).toBe('');
    expect(strings.slice(0, 6)).toEqual(['ns', 'pid', '', 'ns', 'network', '/run/netns/x']);
    expect(strings.join(' ')).toContain('caps 10000000000 0 0 0 0');
    expect(strings.join(' ')).toContain('umask 27');
    expect(strings.slice(-12)).toEqual(['cwd', '/', 'env', 'PATH=/bin', 'arg', 'sh', 'arg', '-c', 'arg', 'echo hi', 'preserve', '0']);
  });

  test('encodes seccomp programs as hex, keyrings with their permission bits, mkdirs in order', () => {
    const program = Buffer.from('0600000000000000', 'hex'); // one instruction: ret 0
    const strings = encodePlan({ ...base, seccomp: { program, flags: 2 }, sessionKeyring: { name: '_ses.c1', addPermissions: 0x080b0000 }, mkdirs: ['/a', '/b'] })
      .subarray(4)
      .toString()
      .split('\0');
    expect(strings.join(' ')).toContain('seccomp 2 0600000000000000');
    expect(strings.join(' ')).toContain('keyring _ses.c1 80b0000');
    expect(strings.join(' ')).toContain('mkdir /a mkdir /b');
  });

  test('refuses a value with a NUL byte', () => {
    expect(() => encodePlan({ ...base, args: ['a\0b'] })).toThrow(PlanEncodeError);
  });
});

describe('berth-init', () => {
  async function runInit(plan: Buffer): Promise<{ lines: string; status: number | null }> {
    const child = spawn(initPath(), ['3'], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
    const sync = child.stdio[3] as Duplex;
    let lines = '';
    sync.on('data', (d: Buffer) => (lines += d.toString()));
    sync.write(plan);
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return { lines, status };
  }

  test('reports an unknown record as one error line on the sync socket', async () => {
    const body = Buffer.from('bogus\0');
    const header = Buffer.alloc(4);
    header.writeUInt32LE(body.length);
    expect(await runInit(Buffer.concat([header, body]))).toEqual({ lines: 'error plan: unknown record bogus\n', status: 1 });
  });

  test('refuses a seccomp program that is not whole instructions', async () => {
    const body = Buffer.from(['rootfs', '/', 'arg', 'true', 'seccomp', '0', '0600', ''].join('\0'));
    const header = Buffer.alloc(4);
    header.writeUInt32LE(body.length);
    expect(await runInit(Buffer.concat([header, body]))).toEqual({ lines: 'error plan: seccomp program of 4 hex digits\n', status: 1 });
  });

  test('reports a step that fails with its errno name', async () => {
    const r = await runInit(encodePlan({ ...base, namespaces: [{ type: 'network', path: '/nonexistent/ns' }] }));
    expect(r).toEqual({ lines: 'error open namespace /nonexistent/ns: ENOENT\n', status: 1 });
  });
});
