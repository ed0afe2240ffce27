/**
 * Start-up cost guard: the calls a shim makes for every container must not load clipanion
 * or the config validator (each costs tens of ms per call). Mocks that throw on load prove
 * the modules are never required on those paths.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { main } from '../src/cli/main';

jest.mock('clipanion', () => {
  throw new Error('clipanion loaded');
});
jest.mock('../src/config/load', () => {
  throw new Error('config validator loaded');
});

let root: string;
let log: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-startup-'));
  log = path.join(root, 'log.json');
  process.exitCode = undefined;
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
  process.exitCode = undefined;
});

async function run(args: string[]): Promise<string> {
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await main(['--root', root, '--log', log, '--log-format', 'json', ...args]);
  } finally {
    stderr.mockRestore();
  }
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
}

test.each(['state', 'start', 'delete', 'kill'])('%s reaches the runtime without clipanion or the validator', async (cmd) => {
  const out = await run([cmd, 'nope']);
  expect(out).toContain('container nope does not exist');
  expect(process.exitCode).toBe(1);
});

test('exec reaches exec.ts without clipanion', async () => {
  // exec.ts loads the validator (mocked away) first: the failure shows the hot path got there.
  expect(await run(['exec', 'nope', 'true'])).toContain('exec failed: config validator loaded');
  expect(process.exitCode).toBe(255);
});

test('delete --force of a missing container succeeds, as runc', async () => {
  expect(await run(['delete', '--force', 'nope'])).toBe('');
  expect(process.exitCode).toBe(0);
});

test('create takes its options without clipanion', async () => {
  // The validator is mocked away, so create fails where it loads it: after the hot parse.
  const out = await run(['create', '--bundle', root, '--pid-file', path.join(root, 'pid'), 'c1']);
  expect(out).toContain('config validator loaded');
  expect(fs.existsSync(path.join(root, 'c1'))).toBe(false);
});

test("the bin's shebang starts node without NODE_EXTRA_CA_CERTS (Node parses that bundle at every start)", () => {
  // The bin's own first line on a script that prints what node got: exec'd directly, as shims do.
  const bin = path.join(__dirname, '..', 'bin', 'berth-runtime.js');
  const shebang = fs.readFileSync(bin, 'utf8').split('\n')[0];
  const probe = path.join(root, 'probe.js');
  fs.writeFileSync(probe, `${shebang}\nprocess.stdout.write(JSON.stringify([process.env.NODE_EXTRA_CA_CERTS ?? null, process.env.KEEP, process.argv.slice(2)]));\n`, { mode: 0o755 });
  const out = execFileSync(probe, ['--root', '/r', 'state', 'a b'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem', KEEP: 'kept' }, encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual([null, 'kept', ['--root', '/r', 'state', 'a b']]);
});

describe('the bin defers packages to their first use (bin/defer.js)', () => {
  // A fixture package whose index re-exports a light errors module and a heavy one that
  // records its loading; a child node process runs the scenario as the bin would.
  function run(script: string): unknown {
    const pkg = path.join(root, 'node_modules', 'pkg');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), '{"name":"pkg","main":"index.js"}');
    fs.writeFileSync(path.join(pkg, 'errors.js'), 'class E extends Error {}\nexports.E = E;\n');
    fs.writeFileSync(path.join(pkg, 'heavy.js'), 'globalThis.heavyLoads = (globalThis.heavyLoads ?? 0) + 1;\nexports.answer = 42;\n');
    fs.writeFileSync(path.join(pkg, 'index.js'), 'Object.assign(exports, require("./errors"), require("./heavy"));\n');
    const defer = path.join(__dirname, '..', 'bin', 'defer.js');
    const code = `const { defer } = require(${JSON.stringify(defer)});\nconst out = (v) => process.stdout.write(JSON.stringify(v));\n${script}`;
    return JSON.parse(execFileSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8' }));
  }

  test('eager names come without loading the index; the first other name loads it once', () => {
    expect(
      run(`
        const deferred = defer('pkg', process.cwd(), 'errors.js');
        const pkg = require('pkg');
        const E = pkg.E;
        const before = globalThis.heavyLoads ?? 0;
        const answer = pkg.answer;
        const real = require('pkg');
        out({ deferred, before, answer, after: globalThis.heavyLoads, same: real.E === E && new E() instanceof real.E,
              keys: Object.keys(pkg).sort(), has: 'answer' in pkg, spread: { ...pkg }.answer, again: require('pkg').answer });
      `),
    ).toEqual({ deferred: true, before: 0, answer: 42, after: 1, same: true, keys: ['E', 'answer'], has: true, spread: 42, again: 42 });
  });

  test('a package that cannot be resolved, or has no such eager file, loads as usual', () => {
    expect(
      run(`out([defer('nope', process.cwd()), defer('pkg', process.cwd(), 'missing.js'), require('pkg').answer, globalThis.heavyLoads]);`),
    ).toEqual([false, false, 42, 1]);
  });
});
