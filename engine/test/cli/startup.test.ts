/**
 * Start-up: a command line loads only the command modules it can reach
 * (help and unknown words load them all), and every command file's command
 * stays reachable through the first word of each of its paths.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCli } from '../../src/cli/cli';

const paths = (args?: string[]): string[] =>
  createCli(args)
    .definitions()
    .map((d) => d.path)
    .sort();

/** Every command class exported by a file under src/cli/commands. */
function commandClasses(): { file: string; paths: string[][] }[] {
  const dir = path.join(__dirname, '..', '..', 'src', 'cli', 'commands');
  const out: { file: string; paths: string[][] }[] = [];
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    if (!rel.endsWith('.ts')) continue;
    for (const value of Object.values(jest.requireActual<Record<string, unknown>>(path.join(dir, rel)))) {
      const p = (value as { paths?: unknown }).paths;
      if (typeof value === 'function' && Array.isArray(p)) out.push({ file: rel, paths: p as string[][] });
    }
  }
  return out;
}

describe('createCli narrows the commands by the first word', () => {
  const all = paths();

  test('with no command line, every command is registered', () => {
    for (const p of ['berth run', 'berth pull', 'berth image inspect', 'berth system df', 'berth build', 'berth --version']) {
      expect(all).toContain(p);
    }
  });

  test('berth run registers run alone; --version the version alone', () => {
    expect(paths(['run', 'busybox', 'true'])).toEqual(['berth run']);
    expect(paths(['container', 'run', 'busybox'])).toEqual(['berth run']);
    expect(paths(['--version'])).toEqual(['berth --version']);
    expect(paths(['pull', 'busybox'])).toEqual(['berth pull']);
  });

  test('help, an unknown word or an option first: all of them, for the listing and suggestions', () => {
    expect(paths(['--help'])).toEqual(all);
    expect(paths(['pul'])).toEqual(all);
    expect(paths(['-x'])).toEqual(all);
  });

  test('every command file is registered, and reachable through the first word of each of its paths', () => {
    const classes = commandClasses();
    expect(classes.length).toBeGreaterThanOrEqual(17);
    for (const c of classes) {
      const primary = `berth ${c.paths[0].join(' ')}`;
      expect({ file: c.file, registered: all.includes(primary) }).toEqual({ file: c.file, registered: true });
      for (const p of c.paths) expect({ path: p, found: paths([p[0]]).includes(primary) }).toEqual({ path: p, found: true });
    }
  });
});
