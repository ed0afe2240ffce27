/**
 * engine/bin/compile-cache.js: berth's modules compiled with a V8 code cache written after a
 * successful run. Each case runs a fresh Node process over a small module tree in a temp dir.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BIN, ROOT, rmrf, tempDir } from '../helpers';

const CACHE_JS = path.join(ROOT, 'engine/bin/compile-cache.js');

let dir: string;
let tree: string;
let base: string;
beforeEach(() => {
  dir = tempDir(`berth-compile-cache-${process.pid}-`);
  tree = path.join(dir, 'tree');
  base = path.join(dir, 'cache');
  mkdirSync(path.join(tree, 'lib'), { recursive: true });
  writeFileSync(path.join(tree, 'main.js'), `'use strict';\nconst { f } = require('./lib/f');\nmodule.exports = { out: f(20) + ':' + path().basename(__dirname) + ':' + require.resolve('./lib/f').endsWith('f.js') };\nfunction path() { return require('node:path'); }\n`);
  writeFileSync(path.join(tree, 'lib', 'f.js'), `exports.f = (n) => n * 2 + 2;\n`);
});

/** main.js also requires ./g, a directory with an index.js at first. */
function addG(): void {
  const main = path.join(tree, 'main.js');
  writeFileSync(main, readFileSync(main, 'utf8').replace("path().basename(__dirname)", "path().basename(__dirname) + require('./g')"));
  mkdirSync(path.join(tree, 'g'));
  writeFileSync(path.join(tree, 'g', 'index.js'), `module.exports = '/g-dir';\n`);
}
afterEach(() => rmrf(dir));

interface Outcome {
  out: string;
  stats: { hits: number; misses: number; written: number; resolved: number } | null;
  status: number | null;
}

/** Installs the cache over `tree`, requires main.js, exits with `code`; reports what happened. */
function run(code = 0): Outcome {
  const script = `
    const stats = require(${JSON.stringify(CACHE_JS)}).install(${JSON.stringify(tree)}, ${JSON.stringify(base)}, 'run');
    const { out } = require(${JSON.stringify(path.join(tree, 'main.js'))});
    process.on('exit', () => require('node:fs').writeSync(1, JSON.stringify({ out, stats: stats ?? null })));
    process.exitCode = ${code};
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (r.stderr !== '') throw new Error(r.stderr);
  return { ...(JSON.parse(r.stdout) as Omit<Outcome, 'status'>), status: r.status };
}

const cached = (): string[] => readdirSync(path.join(base, 'run')).sort();

test('a first run compiles and writes the cache; the next one uses it and behaves the same', () => {
  const first = run();
  // resolved: require.resolve('./lib/f') after require('./lib/f') in the same process
  expect(first).toEqual({ out: '42:tree:true', stats: { hits: 0, misses: 2, written: 2, resolved: 1 }, status: 0 });
  expect(cached()).toEqual(['lib!f.js', 'main.js', 'resolve.json']);
  expect(readFileSync(path.join(base, 'run', 'main.js'), 'latin1')).toMatch(/^berth-v8-cache-1 \d+ [\d.]+\n/);
  const second = run();
  // ./lib/f (require and require.resolve) from the cached resolutions; node:path is Node's own
  expect(second).toEqual({ out: '42:tree:true', stats: { hits: 2, misses: 0, written: 0, resolved: 2 }, status: 0 });
});

test('a module rebuilt since (same length) is compiled from its new source, and its cache rewritten', () => {
  run();
  const f = path.join(tree, 'lib', 'f.js');
  writeFileSync(f, `exports.f = (n) => n * 3 - 2;\n`); // as long as before
  const later = new Date(Date.now() + 5000);
  utimesSync(f, later, later);
  expect(run()).toEqual({ out: '58:tree:true', stats: { hits: 1, misses: 1, written: 1, resolved: 2 }, status: 0 });
  expect(run().stats).toEqual({ hits: 2, misses: 0, written: 0, resolved: 2 });
});

test('a cached resolution is not used once a file added next to the requiring module may change it', () => {
  addG();
  expect(run().out).toBe('42:tree/g-dir:true');
  expect(run().stats).toMatchObject({ resolved: 3 });
  // ./g now resolves to g.js: the directory's mtime changed, so the resolution is made afresh
  writeFileSync(path.join(tree, 'g.js'), `module.exports = '/g-file';\n`);
  const later = new Date(Date.now() + 5000);
  utimesSync(tree, later, later);
  const r = run();
  expect(r.out).toBe('42:tree/g-file:true');
  expect(r.stats).toMatchObject({ resolved: 1 }); // only require.resolve, after the require made it afresh
});

test('a cached resolution whose file is gone is made afresh', () => {
  addG();
  run();
  // tree/g/index.js goes, tree/g/index.json comes: the requiring directory (tree) is untouched,
  // only the missing file tells
  rmrf(path.join(tree, 'g', 'index.js'));
  writeFileSync(path.join(tree, 'g', 'index.json'), `"/g-json"\n`);
  const r = run();
  expect(r.out).toBe('42:tree/g-json:true');
  expect(r.stats).toMatchObject({ resolved: 2 }); // ./lib/f (require and require.resolve) from the cache, ./g afresh
});

test('a run that fails writes nothing', () => {
  expect(run(3)).toEqual({ out: '42:tree:true', stats: { hits: 0, misses: 2, written: 0, resolved: 1 }, status: 3 });
  expect(cached()).toEqual([]);
});

test('a cache directory others can write is not used', () => {
  mkdirSync(base, { mode: 0o700 });
  chmodSync(base, 0o777);
  expect(run()).toEqual({ out: '42:tree:true', stats: null, status: 0 });
  expect(readdirSync(base)).toEqual([]);
});

test('the bin runs with the cache and without it (BERTH_CODE_CACHE=0)', () => {
  for (const env of [{}, { BERTH_CODE_CACHE: '0' }, {}]) {
    const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', env: { ...process.env, ...env } });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: expect.stringMatching(/^berth version /), stderr: '' });
  }
});
