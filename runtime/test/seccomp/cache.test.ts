/**
 * The compiled-program cache (seccomp/cache.ts): the same program as a fresh
 * compile; a structurally equal section in a later run is read from disk
 * (shown by planting a different program under its key); a broken entry is
 * compiled again and rewritten; another section has another key.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RuntimeTypes } from '@berth/spec';
import { compileSeccomp } from '../../src/seccomp';
import { compileSeccompCached } from '../../src/seccomp/cache';

const docker = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'docker-default.json'), 'utf8')) as RuntimeTypes.Seccomp;
const clone = (s: RuntimeTypes.Seccomp): RuntimeTypes.Seccomp => JSON.parse(JSON.stringify(s)) as RuntimeTypes.Seccomp;
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), `berth-seccomp-cache-${process.pid}-`));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('compiles once per section and reads later runs from disk', () => {
  const fresh = compileSeccomp(docker);
  const first = compileSeccompCached(clone(docker), dir);
  expect(first.program.equals(fresh.program)).toBe(true);
  expect(first.flags).toBe(fresh.flags);
  const [entry] = fs.readdirSync(dir);
  expect(entry).toMatch(/^[0-9a-f]{64}\.json$/);

  // plant another valid program under the key: a new (equal) section object gets it from disk
  const other = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO' }] });
  const file = path.join(dir, entry!);
  fs.writeFileSync(file, JSON.stringify({ program: other.program.toString('hex'), flags: other.flags, unknownNames: [] }));
  expect(compileSeccompCached(clone(docker), dir).program.equals(other.program)).toBe(true);

  // a broken entry: compiled again, and the entry repaired
  fs.writeFileSync(file, '{"program": "abc');
  expect(compileSeccompCached(clone(docker), dir).program.equals(fresh.program)).toBe(true);
  expect(compileSeccompCached(clone(docker), dir).program.equals(fresh.program)).toBe(true);
  expect(JSON.parse(fs.readFileSync(file, 'utf8')).program).toBe(fresh.program.toString('hex'));

  // another section, another entry
  const changed = clone(docker);
  changed.defaultErrnoRet = 38;
  compileSeccompCached(changed, dir);
  expect(fs.readdirSync(dir)).toHaveLength(2);
});

it('without a directory: the same section object is compiled once in this process', () => {
  const section = clone(docker);
  const a = compileSeccompCached(section);
  expect(compileSeccompCached(section)).toBe(a);
  expect(a.program.equals(compileSeccomp(docker).program)).toBe(true);
});
