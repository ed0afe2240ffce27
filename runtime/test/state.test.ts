/**
 * state.ts: state.json is written whole (temp + rename) without an fsync, as runc's saveState;
 * a file a crash of the machine left empty is reported as such, and delete removes it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Runtime } from '../src/runtime';
import { StateDir, writeAtomic, type SavedState } from '../src/state';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), `berth-state-${process.pid}-`));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const saved = (id: string): SavedState => ({
  id,
  pid: 0,
  startTime: 0,
  bundle: '/b',
  rootfs: '/b/rootfs',
  created: '2026-01-01T00:00:00.000Z',
  owner: '',
  ownPidNs: true,
});

test('save writes state.json whole, mode 0600, and leaves no temp file', () => {
  const dirs = new StateDir(root);
  dirs.create('c1');
  dirs.save(saved('c1'));
  dirs.save({ ...saved('c1'), bundle: '/other' });
  expect(dirs.load('c1').bundle).toBe('/other');
  expect(fs.readdirSync(dirs.dir('c1'))).toEqual(['state.json']);
  expect(fs.statSync(path.join(dirs.dir('c1'), 'state.json')).mode & 0o777).toBe(0o600);
});

test('writeAtomic, durable or not, replaces the file and leaves no temp file', () => {
  const file = path.join(root, 'f');
  writeAtomic(file, 'one', 0o644);
  writeAtomic(file, 'two', 0o600, false);
  expect(fs.readFileSync(file, 'utf8')).toBe('two');
  expect(fs.readdirSync(root)).toEqual(['f']);
});

test('an empty state.json (a crash of the machine) is a clear error, and delete removes the container', async () => {
  const dirs = new StateDir(root);
  dirs.create('c2');
  fs.writeFileSync(path.join(dirs.dir('c2'), 'state.json'), '');
  expect(() => dirs.load('c2')).toThrow(expect.objectContaining({ code: 'ERR_BERTH_CONTAINER_STATE', message: expect.stringContaining('state.json is not valid JSON') }));
  const rt = new Runtime({ root });
  expect(() => rt.state('c2')).toThrow(expect.objectContaining({ code: 'ERR_BERTH_CONTAINER_STATE' }));
  await rt.delete('c2');
  expect(fs.existsSync(dirs.dir('c2'))).toBe(false);
});
