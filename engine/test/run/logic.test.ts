import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  ExecError,
  buildSpec,
  collectEnv,
  containerArgs,
  containerEnv,
  describeInitFailure,
  execFailureStatus,
  mergeEnv,
  mkdirInRoot,
  parseEnvFile,
  readFileInRoot,
  resolveInRoot,
  resolveUser,
  resolveUserInRoot,
} from '../../src/run';
import { checkCommandPath } from '../../src/run/exec-check';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nbin:x:1:1:bin:/bin:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n# comment\nbad:x:notanumber:0::/:\n';
const GROUP = 'root:x:0:\nwheel:x:10:root,nobody\nstaff:x:50:nobody\nnogroup:x:65534:\n';

describe('resolveUser (Docker/moby user semantics)', () => {
  it('names and ids through passwd and group; supplementary groups from group membership', () => {
    expect(resolveUser('', PASSWD, GROUP)).toEqual({ uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' });
    expect(resolveUser('nobody', PASSWD, GROUP)).toEqual({ uid: 65534, gid: 65534, additionalGids: [65534, 10, 50], home: '/nonexistent' });
    expect(resolveUser('1', PASSWD, GROUP)).toEqual({ uid: 1, gid: 1, additionalGids: [1], home: '/bin' });
    expect(resolveUser('nobody:staff', PASSWD, GROUP)).toMatchObject({ uid: 65534, gid: 50, additionalGids: [50, 10] });
    expect(resolveUser('root:10', PASSWD, GROUP)).toMatchObject({ uid: 0, gid: 10 });
  });

  it('numeric ids need no entry and no files; HOME is then /', () => {
    expect(resolveUser('1234', PASSWD, GROUP)).toEqual({ uid: 1234, gid: 0, additionalGids: [0], home: '/' });
    expect(resolveUser('1234:4321', undefined, undefined)).toEqual({ uid: 1234, gid: 4321, additionalGids: [4321], home: '/' });
  });

  it("unknown names are Docker's errors", () => {
    expect(() => resolveUser('foo', PASSWD, GROUP)).toThrow('unable to find user foo: no matching entries in passwd file');
    expect(() => resolveUser('root:nogrp', PASSWD, GROUP)).toThrow('unable to find group nogrp: no matching entries in group file');
    expect(() => resolveUser('foo', undefined, undefined)).toThrow('unable to find user foo: no passwd file');
  });
});

describe('paths inside the root filesystem', () => {
  let root: string;
  let outside: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'berth-run-root-'));
    outside = mkdtempSync(path.join(tmpdir(), 'berth-run-outside-'));
    mkdirSync(path.join(root, 'etc'));
    writeFileSync(path.join(outside, 'passwd'), 'evil:x:0:0::/evil:/bin/sh\n');
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('symlinks resolve inside the root, absolute or with .., never out of it', async () => {
    symlinkSync(path.join(outside, 'passwd'), path.join(root, 'etc/passwd')); // absolute: means <root>/<outside>/passwd
    expect(await resolveInRoot(root, '/etc/passwd')).toBe(path.join(root, outside, 'passwd'));
    expect(await readFileInRoot(root, '/etc/passwd')).toBeUndefined();
    rmSync(path.join(root, 'etc/passwd'));
    symlinkSync('../../../../../../..' + path.join(outside, 'passwd'), path.join(root, 'etc/passwd'));
    expect(await readFileInRoot(root, '/etc/passwd')).toBeUndefined();
    // a user file reached through the escaping link is not the host's
    await expect(resolveUserInRoot(root, 'evil')).rejects.toThrow('unable to find user evil');
  });

  it('follows links that stay inside, and detects loops', async () => {
    mkdirSync(path.join(root, 'real'));
    writeFileSync(path.join(root, 'real/passwd'), PASSWD);
    symlinkSync('/real', path.join(root, 'etc/link'));
    symlinkSync('link/passwd', path.join(root, 'etc/passwd'));
    expect(await readFileInRoot(root, '/etc/passwd')).toBe(PASSWD);
    symlinkSync('loop', path.join(root, 'loop'));
    await expect(resolveInRoot(root, '/loop/x')).rejects.toThrow('too many levels of symbolic links');
  });

  it('mkdirInRoot creates a missing working directory inside the root, through links', async () => {
    symlinkSync('/../../..' + outside, path.join(root, 'escape'));
    await mkdirInRoot(root, '/escape/work/dir');
    expect((await import('node:fs')).existsSync(path.join(root, outside, 'work/dir'))).toBe(true);
    expect((await import('node:fs')).existsSync(path.join(outside, 'work'))).toBe(false);
    writeFileSync(path.join(root, 'file'), '');
    await expect(mkdirInRoot(root, '/file/x')).rejects.toThrow('/file is not a directory');
  });

  it('a command path that is a directory or not executable is 126 before the container starts', async () => {
    writeFileSync(path.join(root, 'etc/data'), 'x', { mode: 0o644 });
    await expect(checkCommandPath(root, '/', '/etc')).rejects.toMatchObject({ exitCode: 126, message: 'exec: "/etc": permission denied' });
    await expect(checkCommandPath(root, '/etc', './data')).rejects.toBeInstanceOf(ExecError);
    await expect(checkCommandPath(root, '/', '/missing')).resolves.toBeUndefined(); // the runtime reports it: 127
    await expect(checkCommandPath(root, '/', 'sh')).resolves.toBeUndefined();
  });
});

describe('environment, command line and config.json', () => {
  it('env files: comments, blank lines, bare names from the caller (dropped when unset), whitespace refused', () => {
    expect(parseEnvFile('# c\n\nA=1\n  B=x y\nC\nD\nE=\r\n', 'f', { C: 'from-caller' })).toEqual(['A=1', 'B=x y', 'C=from-caller', 'E=']);
    expect(() => parseEnvFile('BAD KEY=1\n', 'env.list', {})).toThrow("variable 'BAD KEY' contains whitespaces (env.list line 1)");
  });

  it('--env-file entries come before -e; a missing file is an error naming it', async () => {
    await expect(collectEnv(['A=2'], [], {})).resolves.toEqual(['A=2']);
    await expect(collectEnv([], ['/nonexistent/env.list'], {})).rejects.toThrow('open /nonexistent/env.list: no such file or directory');
  });

  it("merges as Docker: later keys replace in place; PATH, HOSTNAME, TERM, HOME defaults", () => {
    expect(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4'])).toEqual(['A=1', 'B=3', 'C=4']);
    const user = { uid: 0, gid: 0, additionalGids: [], home: '/root' };
    expect(containerEnv({ image: { Env: ['PATH=/x', 'A=1'] }, env: ['A=2'], hostname: 'h', tty: true, user })).toEqual([
      'HOSTNAME=h',
      'TERM=xterm',
      'PATH=/x',
      'A=2',
      'HOME=/root',
    ]);
    expect(containerEnv({ image: undefined, env: ['HOME=/h'], hostname: 'h', tty: false, user })[0]).toBe(
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    );
  });

  it('Entrypoint and Cmd as Docker combines them', () => {
    const image = { Entrypoint: ['/ep'], Cmd: ['default'] };
    expect(containerArgs(image, undefined, [])).toEqual(['/ep', 'default']);
    expect(containerArgs(image, undefined, ['x'])).toEqual(['/ep', 'x']);
    expect(containerArgs(image, 'other', [])).toEqual(['other']);
    expect(containerArgs(image, '', ['sh'])).toEqual(['sh']);
    expect(() => containerArgs({}, undefined, [])).toThrow('no command specified');
  });

  it('config.json: namespaces by network mode, read-only root, the /etc bind mounts, terminal', () => {
    const spec = buildSpec({
      image: { Cmd: ['sh'] },
      rootfs: '/r',
      args: [],
      env: [],
      user: { uid: 1, gid: 2, additionalGids: [3], home: '/' },
      cwd: '/w',
      hostname: 'h',
      tty: true,
      readOnly: true,
      network: 'none',
      etcFiles: { hostname: '/s/hostname', hosts: '/s/hosts', resolvConf: '/s/resolv.conf' },
      cgroupV2: false,
    });
    expect(spec.root).toEqual({ path: '/r', readonly: true });
    expect(spec.process).toMatchObject({ terminal: true, cwd: '/w', user: { uid: 1, gid: 2, additionalGids: [3] }, args: ['sh'] });
    expect(spec.linux?.namespaces?.map((n) => n.type)).toEqual(['mount', 'uts', 'pid', 'ipc', 'network']);
    expect(spec.mounts?.filter((m) => m.type === 'bind').map((m) => [m.destination, m.source])).toEqual([
      ['/etc/resolv.conf', '/s/resolv.conf'],
      ['/etc/hostname', '/s/hostname'],
      ['/etc/hosts', '/s/hosts'],
    ]);
    const host = buildSpec({ ...{ image: { Cmd: ['sh'] }, rootfs: '/r', args: [], env: [], user: { uid: 0, gid: 0, additionalGids: [], home: '/' } }, cwd: '/', hostname: 'h', tty: false, readOnly: false, network: 'host', etcFiles: { hostname: 'a', hosts: 'b', resolvConf: 'c' }, cgroupV2: true });
    expect(host.linux?.namespaces?.map((n) => n.type)).toEqual(['mount', 'uts', 'pid', 'ipc', 'cgroup']);
  });

  it("maps start failures to Docker's statuses and words", () => {
    expect(execFailureStatus('exec: "x": executable file not found in $PATH')).toBe(127);
    expect(execFailureStatus('exec /nope: ENOENT')).toBe(127);
    expect(execFailureStatus('exec /etc: EACCES')).toBe(126);
    expect(execFailureStatus('runc run failed: unable to start container process: exec: "/etc": permission denied')).toBe(126);
    expect(execFailureStatus('mount /proc: EPERM')).toBe(125);
    expect(describeInitFailure('exec /bin/x: EACCES')).toBe('exec: "/bin/x": permission denied');
    expect(describeInitFailure('pivot_root: EINVAL')).toBe('pivot_root: EINVAL');
  });
});
