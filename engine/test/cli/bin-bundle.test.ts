/**
 * engine/bin/berth.js runs `berth run` from the bundle `npm run build` makes
 * (engine/dist/bundle/cli.js, scripts/bundle.js) and everything else, or a run whose bundle is
 * missing, stale or incomplete, from dist/ with the code cache. The bin is copied into a temp
 * tree whose dist/cli/main.js reports how it was loaded; its bundle is made by scripts/bundle.js.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, rmrf, tempDir } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain script, no types
const { bundle } = require(path.join(ROOT, 'scripts/bundle.js')) as {
  bundle: (entry: string, out: string, options?: { lazy?: RegExp[] }) => Promise<{ modules: number }>;
};

// Reports which way it was loaded: from the bundle (its modules are not in require.cache), with
// compile-cache.js installed or not. STUB_THROW: the CLI's own code fails while loading.
const MAIN = `'use strict';
const Module = require('node:module');
if (process.env.STUB_THROW) throw new Error('the CLI failed: ' + require('./part').name);
const from = Object.keys(require.cache).some((f) => f.endsWith('main.js')) ? 'dist' : 'bundle';
const cache = Module.prototype._compile.name === 'cachedCompile' ? 'cache' : 'no-cache';
process.stdout.write(from + ' ' + cache + ' ' + process.argv.slice(2).join(' ') + '\\n');
`;

let dir: string;
let engine: string;
let bin: string;
let stamp: string;
beforeAll(async () => {
  dir = tempDir(`berth-bin-bundle-${process.pid}-`);
  engine = path.join(dir, 'engine');
  mkdirSync(path.join(engine, 'bin'), { recursive: true });
  mkdirSync(path.join(engine, 'dist', 'cli'), { recursive: true });
  bin = path.join(engine, 'bin', 'berth.js');
  for (const f of ['berth.js', 'compile-cache.js']) copyFileSync(path.join(ROOT, 'engine', 'bin', f), path.join(engine, 'bin', f));
  writeFileSync(path.join(engine, 'package.json'), '{"name":"stub-engine","private":true}\n');
  stamp = path.join(engine, 'tsconfig.tsbuildinfo');
  writeFileSync(stamp, '{}\n');
  writeFileSync(path.join(engine, 'dist', 'cli', 'main.js'), MAIN);
  writeFileSync(path.join(engine, 'dist', 'cli', 'part.js'), `exports.name = 'part';\n`);
  await makeBundle();
}, 60_000);
afterAll(() => rmrf(dir));

/** (Re)makes engine/dist/bundle/cli.js from the stub's dist/, as npm run build does, newer than its stamp. */
async function makeBundle(): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  utimesSync(stamp, past, past);
  rmSync(path.join(engine, 'dist', 'bundle'), { recursive: true, force: true });
  await bundle(path.join(engine, 'dist', 'cli', 'main.js'), path.join(engine, 'dist', 'bundle', 'cli.js'));
}

function berth(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of ['BERTH_BUNDLE', 'BERTH_CODE_CACHE']) if (!(k in env)) delete e[k];
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: e });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ok = (stdout: string) => ({ status: 0, stdout, stderr: '' });

test('berth run and berth pull load from the bundle; other commands from dist/ with the code cache', () => {
  expect(berth(['run', 'busybox'])).toEqual(ok('bundle no-cache run busybox\n'));
  expect(berth(['--root', '/r', 'run', 'x'])).toEqual(ok('bundle no-cache --root /r run x\n'));
  expect(berth(['--root=/r', 'run'])).toEqual(ok('bundle no-cache --root=/r run\n'));
  expect(berth(['pull', '-q', 'busybox'])).toEqual(ok('bundle no-cache pull -q busybox\n'));
  expect(berth(['--root', '/r', 'pull', 'x'])).toEqual(ok('bundle no-cache --root /r pull x\n'));
  expect(berth(['image', 'pull', 'x'])).toEqual(ok('bundle no-cache image pull x\n'));
  expect(berth(['images'])).toEqual(ok('dist cache images\n'));
  expect(berth(['image', 'ls'])).toEqual(ok('dist cache image ls\n'));
  expect(berth(['container', 'run', 'x'])).toEqual(ok('dist cache container run x\n'));
  // the bundle's loader kept code caches of what it compiled
  expect(readdirSync(path.join(engine, 'dist', 'bundle')).some((f) => f.endsWith('.data.cache'))).toBe(true);
});

test('BERTH_BUNDLE=0 runs dist/ with the code cache; BERTH_CODE_CACHE=0 dist/ without either', () => {
  expect(berth(['run', 'x'], { BERTH_BUNDLE: '0' })).toEqual(ok('dist cache run x\n'));
  expect(berth(['run', 'x'], { BERTH_CODE_CACHE: '0' })).toEqual(ok('dist no-cache run x\n'));
});

test('a stale bundle (dist/ rebuilt since), an incomplete one or none: dist/ runs', async () => {
  try {
    const later = new Date(Date.now() + 60_000);
    utimesSync(stamp, later, later); // what a tsc -b that emits does to the package's stamp
    expect(berth(['run', 'x'])).toEqual(ok('dist cache run x\n'));
    await makeBundle();
    expect(berth(['run', 'x'])).toEqual(ok('bundle no-cache run x\n'));
    const data = readdirSync(path.join(engine, 'dist', 'bundle')).find((f) => f.endsWith('.data'));
    rmSync(path.join(engine, 'dist', 'bundle', data ?? 'none'));
    expect(berth(['run', 'x'])).toEqual(ok('dist cache run x\n'));
    rmSync(path.join(engine, 'dist', 'bundle'), { recursive: true });
    expect(berth(['run', 'x'])).toEqual(ok('dist cache run x\n'));
  } finally {
    await makeBundle();
  }
});

test("an error of the CLI's own code in the bundle is reported, not retried from dist/", () => {
  const r = berth(['run', 'x'], { STUB_THROW: '1' });
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('the CLI failed: part');
  expect(r.stderr.match(/the CLI failed/g)).toHaveLength(1);
});

test("package.json's bundle script makes the engine's bundle (its --lazy barrels are plain re-exports)", async () => {
  // The command npm run build runs, into a temp dir: a store or runtime index that renames a
  // re-export would make it fail (scripts/bundle.js cannot make such a barrel lazy).
  execFileSync('npx', ['tsc', '-b', 'engine'], { cwd: ROOT, stdio: 'inherit' });
  const script = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['bundle'] ?? '';
  const step = script.split(' && ').find((s) => s.includes('engine/dist/cli/main.js'));
  expect(step).toBeDefined();
  const lazy = [...(step ?? '').matchAll(/--lazy '([^']+)'/g)].map((m) => new RegExp(m[1] ?? ''));
  expect(lazy.length).toBeGreaterThan(0);
  const out = path.join(dir, 'engine-bundle', 'cli.js');
  const made = await bundle(path.join(ROOT, 'engine/dist/cli/main.js'), out, { lazy });
  expect(made.modules).toBeGreaterThan(100);
  const r = spawnSync(process.execPath, [out, '--version'], { encoding: 'utf8' });
  expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: expect.stringMatching(/^berth version /), stderr: '' });
}, 120_000);
