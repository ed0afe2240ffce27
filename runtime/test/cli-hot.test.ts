import { PassThrough } from 'node:stream';
import type { Runtime } from '@berth/runtime';
import { parseHot } from '../src/cli/hot';
import { execInContainer } from '../src/exec';

// exec's work is exec.ts's (tested with real containers elsewhere); here only what reaches it.
jest.mock('../src/exec', () => ({ execInContainer: jest.fn() }));
const execMock = execInContainer as jest.MockedFunction<typeof execInContainer>;

/** Records what the hot path asks of the runtime (pure argument parsing: a fake is enough). */
function fakeRuntime(): { rt: Runtime; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const rec = (name: string) => (...args: unknown[]) => {
    calls.push([name, ...args]);
    return name === 'state' ? { id: args[0] } : undefined;
  };
  const log = { fatal: rec('fatal') };
  const rt = { create: rec('create'), start: rec('start'), state: rec('state'), kill: rec('kill'), delete: rec('delete'), log };
  return { rt: rt as unknown as Runtime, calls };
}

async function call(argv: string[]): Promise<unknown[][]> {
  const hot = parseHot(argv);
  if (!hot) throw new Error(`not hot: ${argv.join(' ')}`);
  const { rt, calls } = fakeRuntime();
  await hot.run(rt, new PassThrough());
  return calls;
}

describe('hot command parsing (no clipanion)', () => {
  test('containerd and conmon argv shapes', async () => {
    expect(await call(['create', '--bundle', '/b', '--pid-file', '/b/init.pid', '--console-socket', '/s', 'c1'])).toEqual([
      ['create', 'c1', { bundle: '/b', pidFile: '/b/init.pid', consoleSocket: '/s', noPivot: false, noNewKeyring: false, preserveFds: 0 }],
    ]);
    expect(await call(['create', '-b=/b', '--no-pivot', '--preserve-fds=2', 'c1'])).toEqual([
      ['create', 'c1', { bundle: '/b', consoleSocket: undefined, pidFile: undefined, noPivot: true, noNewKeyring: false, preserveFds: 2 }],
    ]);
    expect((await call(['create', 'c1']))[0][2]).toMatchObject({ bundle: '.' });
    expect(await call(['start', 'c1'])).toEqual([['start', 'c1']]);
    expect(await call(['kill', 'c1', '9'])).toEqual([['kill', 'c1', 9, false]]);
    expect(await call(['kill', '--all', 'c1'])).toEqual([['kill', 'c1', 15, true]]);
    expect(await call(['delete', '-f', 'c1'])).toEqual([['delete', 'c1', true]]);
  });

  test('state prints the report as JSON', async () => {
    const hot = parseHot(['state', 'c1'])!;
    const out = new PassThrough();
    await hot.run(fakeRuntime().rt, out);
    expect(out.read().toString()).toBe('{\n  "id": "c1"\n}\n');
  });

  test('anything unusual is left to clipanion (help, usage errors)', () => {
    for (const argv of [
      ['list'], ['spec'], ['run', 'c1'], ['state'], ['state', 'a', 'b'], ['start', '--help'], ['create', '-h', 'c1'],
      ['create', '--bundle'], ['create', '--bogus', 'c1'], ['delete', '--force=true', 'c1'], ['delete', '-f', '-f', 'c1'],
      ['kill', 'c1', '9', 'extra'], ['toString', 'c1'],
    ]) {
      expect(parseHot(argv)).toBeUndefined();
    }
  });

  test('bad values are typed errors, as under clipanion', async () => {
    await expect(call(['create', '--preserve-fds', 'x', 'c1'])).rejects.toThrow('--preserve-fds: invalid value "x"');
    await expect(call(['kill', 'c1', 'SIGNOPE'])).rejects.toThrow('unknown signal');
  });
});

describe('exec on the hot path', () => {
  beforeEach(() => execMock.mockReset());

  async function exec(argv: string[]): Promise<{ status: number; opts: unknown; id: unknown; calls: unknown[][] }> {
    const hot = parseHot(argv);
    if (!hot) throw new Error(`not hot: ${argv.join(' ')}`);
    const { rt, calls } = fakeRuntime();
    const status = await hot.run(rt, new PassThrough());
    return { status, id: execMock.mock.lastCall?.[1], opts: execMock.mock.lastCall?.[2], calls };
  }

  test("containerd's shape and `exec ID CMD...`; the process's status is the exit status", async () => {
    execMock.mockResolvedValue(0);
    expect(await exec(['exec', '--process', '/b/p.json', '--detach', '--pid-file', '/b/p.pid', '--console-socket', '/s', 'c1'])).toMatchObject({
      status: 0,
      id: 'c1',
      opts: { processFile: '/b/p.json', detach: true, pidFile: '/b/p.pid', consoleSocket: '/s', args: [], tty: false, env: [], preserveFds: 0 },
    });
    execMock.mockResolvedValue(7);
    // after ID, everything is the command, flags included
    expect(await exec(['exec', '-t', 'c1', 'sh', '-c', 'exit 7', '--detach'])).toMatchObject({
      status: 7,
      opts: { args: ['sh', '-c', 'exit 7', '--detach'], tty: true, detach: false, processFile: undefined },
    });
  });

  test('a failed exec exits 255 and logs "exec failed: ...", as under clipanion', async () => {
    execMock.mockRejectedValue(new Error('container c1 does not exist'));
    const r = await exec(['exec', 'c1', 'true']);
    expect(r.status).toBe(255);
    expect(r.calls).toEqual([['fatal', 'exec failed: container c1 does not exist']]);
  });

  test('flags that describe the process, and help, go to clipanion', () => {
    for (const argv of [['exec'], ['exec', '-e', 'A=1', 'c1', 'true'], ['exec', '--user', '1', 'c1', 'id'], ['exec', '--help'], ['exec', '--', 'c1', 'true'], ['exec', '--cwd=/', 'c1', 'pwd']]) {
      expect(parseHot(argv)).toBeUndefined();
    }
    expect(execMock).not.toHaveBeenCalled();
  });
});
