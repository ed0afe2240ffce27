/**
 * The bin prints with write(2) on fd 1 (cli/stdout.ts), not process.stdout: building that
 * stream loads ~20 builtin modules (and `net` on a pipe) in every call. Run through the built
 * bin (npm run build), on a pipe, as a shim reads it. Such calls also exit as soon as main() resolves.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StateDir } from '../src/state';

const BIN = path.resolve(__dirname, '../bin/berth-runtime.js');

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), `berth-stdout-${process.pid}-`));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Runs the bin under node with a preload that records, at exit, which builtin modules were loaded. */
function runBin(args: string[]): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const probe = path.join(root, 'probe.js');
  const list = path.join(root, 'modules.json');
  fs.writeFileSync(probe, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)));\n`);
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const r = spawnSync(process.execPath, ['-r', probe, '--', BIN, ...args], { encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded: JSON.parse(fs.readFileSync(list, 'utf8')) as string[] };
}

test('state prints its JSON on a pipe without loading node:stream or node:net', () => {
  const dirs = new StateDir(path.join(root, 'state'));
  dirs.create('s1');
  dirs.save({ id: 's1', pid: 0, startTime: 0, bundle: '/b', rootfs: '/b/rootfs', created: '2026-01-01T00:00:00.000Z', owner: '', ownPidNs: true });
  const r = runBin(['--root', dirs.root, 'state', 's1']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ id: 's1', status: 'stopped', pid: 0, bundle: '/b' });
  expect(r.stdout.endsWith('}\n')).toBe(true);
  expect(r.loaded).not.toContain('NativeModule stream');
  expect(r.loaded).not.toContain('NativeModule net');
});

test('--version and --help print whole on a pipe', () => {
  const v = runBin(['--version']);
  expect(v.stdout).toMatch(/^berth-runtime version \S+\nspec: \S+\n$/);
  const h = runBin(['--help']);
  expect(h.stdout).toContain('Usage: berth-runtime [global options] COMMAND');
  expect(h.stdout.endsWith('for a command\'s options.\n')).toBe(true);
});

test('calls that leave nothing pending exit at once, with their status and their error on stderr', () => {
  const missing = runBin(['--root', path.join(root, 'state'), 'state', 'nosuch']);
  expect(missing.status).toBe(1);
  expect(missing.stderr).toContain('container nosuch does not exist');
  expect(missing.stdout).toBe('');
  const forced = runBin(['--root', path.join(root, 'state'), 'delete', '--force', 'nosuch']);
  expect(forced.status).toBe(0);
  expect(forced.stderr).toBe('');
});
