/**
 * `berth run`'s command line without clipanion (run-options.ts): for every
 * command line it accepts it must give what clipanion's RunCommand gives, and
 * it must leave to clipanion whatever it is unsure of. The bin takes that path
 * (no clipanion loaded) and still runs.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { makeDockerSaveTarball } from '@berth/test';
import { Cli } from 'clipanion';
import { RunCommand } from '../../src/cli/commands/run';
import { createCli } from '../../src/cli/cli';
import { RUN_FLAGS, parseRunArgs, type RunOptions } from '../../src/cli/run-options';
import { BIN, berthSync, buildCli, rmrf, tempDir } from '../helpers';

/** What clipanion makes of `run ARGS`: the options, or the name of the command it chose. */
function clipanion(args: string[]): RunOptions | string {
  const argv = ['run', ...args];
  let command;
  try {
    command = createCli(argv).process(argv, { ...Cli.defaultContext, root: undefined });
  } catch (err) {
    return `error: ${(err as Error).message.split('\n')[0]}`;
  }
  return command instanceof RunCommand ? command.options() : command.constructor.name;
}

const ACCEPTED: string[][] = [
  ['busybox', 'true'],
  ['busybox'],
  ['--rm', '--network', 'none', 'busybox', 'true'],
  ['-it', 'busybox', 'sh'],
  ['-ti', '--rm', 'busybox'],
  ['-itd', 'busybox'],
  ['-i', '-i', 'busybox'],
  ['-e', 'A=1', '--env', 'B', '--env=C=3', '-e', '', 'busybox'],
  ['--env-file', 'f', '--env-file=g', 'busybox'],
  ['--name', 'a', '--name', 'b', 'busybox'],
  ['--name', '', '--entrypoint=', 'busybox'],
  ['-w', '/x', '-u', '0:0', '-h', 'host', 'busybox', '-u', '--rm', '-x'],
  ['--workdir=/w', '--user=nobody', '--hostname', 'h', '--read-only', 'busybox', 'sh', '-c', 'echo $0'],
  ['--net', 'none', '--runtime', 'runc', '--platform', 'linux/amd64', 'busybox'],
  ['--network=host', '--interactive', '--tty', '--detach', 'busybox', '--', 'x'],
  ['--entrypoint', '/bin/sh', 'busybox', '-c', 'exit 3'],
];

/** Left to clipanion: help, errors, spellings the small parser does not take. */
const DECLINED: string[][] = [
  [],
  ['--rm'],
  ['--help'],
  ['-h'],
  ['--no-rm', 'busybox'],
  ['--rm=true', 'busybox'],
  ['-eA=1', 'busybox'],
  ['-e=A', 'busybox'],
  ['-ie', 'A=1', 'busybox'],
  ['--name', '-x', 'busybox'],
  ['-e', '-x', 'busybox'],
  ['--', 'busybox'],
  ['-', 'x'],
  ['-rm', 'busybox'],
  ['--unknown', 'busybox'],
  ['-Z', 'busybox'],
];

describe('parseRunArgs', () => {
  test.each(ACCEPTED.map((a) => [a.join(' '), a]))('%s: as clipanion parses it', (_, args) => {
    const hot = parseRunArgs(args);
    expect(hot).toBeDefined();
    expect(hot).toEqual(clipanion(args));
  });

  test.each(DECLINED.map((a) => [a.join(' ') || '(nothing)', a]))('%s: left to clipanion', (_, args) => {
    expect(parseRunArgs(args)).toBeUndefined();
  });

  test('RUN_FLAGS names every option of RunCommand with its names and kind', () => {
    const definition = createCli(['run']).definitions().find((d) => d.path === 'berth run');
    const options = definition?.options ?? [];
    expect(options.length).toBeGreaterThan(10);
    const table = Object.values(RUN_FLAGS).map((f) => ({ names: [...f.names].sort(), takesValue: f.kind !== 'boolean' }));
    for (const o of options) {
      // clipanion writes `-e,--env #0` for an option that takes a value, `--rm` for a boolean
      const [flags, value] = o.definition.split(' ');
      const names = flags.split(',').sort();
      const takesValue = value !== undefined;
      expect({ option: o.definition, inTable: table.some((t) => t.names.join() === names.join() && t.takesValue === takesValue) }).toEqual({
        option: o.definition,
        inTable: true,
      });
    }
    expect(table).toHaveLength(options.length);
  });
});

describe('the bin', () => {
  let root: string;
  beforeAll(async () => {
    buildCli();
    root = tempDir('berth-run-options-');
    const tar = path.join(root, 'busybox.tar');
    await makeDockerSaveTarball(tar, { repository: 'busybox', tag: 'latest' });
    expect(berthSync(['load', '-q', '-i', tar], { env: { BERTH_ROOT: path.join(root, 'store') } }).code).toBe(0);
  });
  afterAll(() => rmrf(root));

  // Reports (on fd 2, at exit) whether clipanion was loaded: through Node's loader (dist/), or
  // compiled by vm.Script under its own file name (the bundle's loader, the code cache).
  const probe = `
    const Module = require('node:module');
    const vm = require('node:vm');
    const fs = require('node:fs');
    const path = require('node:path');
    const seen = new Set();
    const load = Module._load;
    Module._load = function (request, ...rest) {
      if (request === 'clipanion') seen.add('LOADED clipanion');
      return load.call(this, request, ...rest);
    };
    const Script = vm.Script;
    vm.Script = class extends Script {
      constructor(source, options) {
        super(source, options);
        if (String(options && options.filename).includes(path.sep + 'clipanion' + path.sep)) seen.add('LOADED clipanion');
      }
    };
    process.on('exit', () => { for (const s of seen) fs.writeSync(2, s + '\\n'); });
    require(process.argv[1]); // argv: node BIN ARGS..., as the bin sees it
  `;
  const run = (args: string[]) =>
    spawnSync(process.execPath, ['-e', probe, '--', BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, BERTH_ROOT: path.join(root, 'store'), NO_COLOR: '1' },
    });

  test('a run does not load clipanion', () => {
    const r = run(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo ran']);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: 'ran\n', stderr: '' });
  });

  test('errors of the small path still reach stderr; help and clipanion errors load clipanion', () => {
    // --detach fails before the store is touched
    const hot = run(['run', '--rm', '-d', 'busybox', 'true']);
    expect(hot.stderr).toContain('detached mode (-d) is not supported yet');
    expect(hot.stderr).not.toContain('LOADED clipanion');
    expect(hot.status).toBe(125);
    const help = run(['run', '--help']);
    expect(help.stderr).toContain('LOADED clipanion');
    expect(help.stdout).toContain('berth run');
    const bad = run(['run', '--no-such-flag', 'busybox']);
    expect(bad.stderr).toContain('LOADED clipanion');
    expect(bad.status).toBe(125);
  });
});
