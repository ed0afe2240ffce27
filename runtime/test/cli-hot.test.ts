import { PassThrough } from 'node:stream';
import type { Runtime } from '@berth/runtime';
import { parseHot } from '../src/cli/hot';

/** Records what the hot path asks of the runtime (pure argument parsing: a fake is enough). */
function fakeRuntime(): { rt: Runtime; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const rec = (name: string) => (...args: unknown[]) => {
    calls.push([name, ...args]);
    return name === 'state' ? { id: args[0] } : undefined;
  };
  const rt = { create: rec('create'), start: rec('start'), state: rec('state'), kill: rec('kill'), delete: rec('delete') };
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
