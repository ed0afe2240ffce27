/**
 * scripts/bundle.js (the bin runs the runtime CLI from its bundle): a fixture package bundled
 * into a temp dir and loaded by child Node processes, as the bin loads it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BUNDLER = path.resolve(__dirname, '..', '..', 'scripts', 'bundle.js');

let dir: string;
let out: string;

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
}

/** Runs `script` in a fresh node with `b` = the bundle's exports; returns what it printed (JSON). */
function inChild(script: string): { status: number | null; out: unknown; stderr: string } {
  const r = spawnSync(process.execPath, ['-e', `const b = require(${JSON.stringify(out)}); ${script}`], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), `berth-bundle-${process.pid}-`));
  out = path.join(dir, 'out', 'cli.js');
  write('pkg/package.json', '{"name":"pkg"}\n');
  write('pkg/tsconfig.tsbuildinfo', '{}\n');
  write(
    'pkg/dist/main.js',
    [
      '"use strict";',
      'const lib = require("./lib/index");',
      'exports.dir = __dirname;',
      'exports.file = __filename;',
      'exports.light = () => lib.light();',
      'exports.heavy = () => require("./heavy").value;',
      'exports.fail = () => { throw new Error("from main"); };',
    ].join('\n'),
  );
  write('pkg/dist/heavy.js', 'globalThis.heavyLoaded = true;\nexports.value = 42;\n');
  // A barrel as tsc writes one: only re-exports.
  write('pkg/dist/lib/index.js', '"use strict";\nvar a = require("./a");\nObject.defineProperty(exports, "light", { enumerable: true, get: () => a.light });\nObject.assign(exports, require("./b"));\n');
  write('pkg/dist/lib/a.js', 'exports.light = () => "light";\n');
  write('pkg/dist/lib/b.js', 'globalThis.bLoaded = true;\nexports.other = () => "other";\n');
  execFileSync(process.execPath, [BUNDLER, '--lazy', '/lib/index\\.js$', 'pkg/dist/main.js', out], { cwd: dir, encoding: 'utf8' });
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('requires inside functions stay lazy; barrels named --lazy load a submodule at first use of its names', () => {
  const r = inChild(
    'const before = [globalThis.heavyLoaded === true, globalThis.bLoaded === true];' +
      'const light = b.light();' +
      'const afterLight = globalThis.bLoaded === true;' +
      'const heavy = b.heavy();' +
      'process.stdout.write(JSON.stringify({ before, light, afterLight, heavy, heavyLoaded: globalThis.heavyLoaded === true }));',
  );
  expect(r.stderr).toBe('');
  expect(r.out).toEqual({ before: [false, false], light: 'light', afterLight: false, heavy: 42, heavyLoaded: true });
});

test("each module keeps its own __dirname, __filename and line numbers; the bundle is one loader plus one sources file", () => {
  const r = inChild('let stack; try { b.fail(); } catch (e) { stack = e.stack; } process.stdout.write(JSON.stringify({ dir: b.dir, file: b.file, stack }));');
  const main = path.join(dir, 'pkg', 'dist', 'main.js');
  expect(r.out).toMatchObject({ dir: path.dirname(main), file: main });
  expect((r.out as { stack: string }).stack).toContain(`${main}:7:`);
  const files = fs.readdirSync(path.dirname(out)).filter((f) => !f.endsWith('.cache'));
  expect(files.sort()).toEqual(['cli.js', expect.stringMatching(/^cli\.[0-9a-f]{12}\.data$/)].sort());
});

test('code caches: the first run writes them, later runs use them with the same results', () => {
  const script = 'process.stdout.write(JSON.stringify([b.light(), b.heavy()]));';
  expect(inChild(script).out).toEqual(['light', 42]);
  const cacheDir = fs.readdirSync(path.dirname(out)).find((f) => f.endsWith('.data.cache'));
  expect(cacheDir).toBeDefined();
  const caches = fs.readdirSync(path.join(path.dirname(out), cacheDir!));
  expect(caches.length).toBeGreaterThan(0);
  expect(caches.every((f) => f.endsWith(`-${process.version}`))).toBe(true);
  expect(inChild(script).out).toEqual(['light', 42]);
  // A cache V8 refuses (garbage) is ignored and rewritten.
  for (const f of caches) fs.writeFileSync(path.join(path.dirname(out), cacheDir!, f), 'garbage');
  expect(inChild(script).out).toEqual(['light', 42]);
  expect(fs.readFileSync(path.join(path.dirname(out), cacheDir!, caches[0]), 'utf8')).not.toBe('garbage');
});

test('a bundle older than a package it took files from is refused as stale, before any module runs', () => {
  const stamp = path.join(dir, 'pkg', 'tsconfig.tsbuildinfo');
  const later = new Date(fs.statSync(out).mtimeMs + 5000);
  fs.utimesSync(stamp, later, later);
  const r = inChild('');
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("code: 'ERR_BUNDLE_STALE'");
  expect(r.stderr).toContain('tsconfig.tsbuildinfo: rebuild it');
});

test('a bundle without its sources file is refused as incomplete', () => {
  const data = fs.readdirSync(path.dirname(out)).find((f) => f.endsWith('.data'))!;
  fs.rmSync(path.join(path.dirname(out), data));
  const r = inChild('');
  expect(r.stderr).toContain("code: 'ERR_BUNDLE_INCOMPLETE'");
});

test("a bundled module's builtins come from the loader's own require, not a require made per module", () => {
  // esbuild names no request for a builtin: the table must still map it, or each module that
  // requires one pays module.createRequire (a Module and its lookup paths) at every start.
  write('pkg/dist/builtins.js', 'exports.sep = require("node:path").sep;\nexports.eol = require("os").EOL;\n');
  const entry = path.join(dir, 'out2', 'cli.js');
  execFileSync(process.execPath, [BUNDLER, 'pkg/dist/builtins.js', entry], { cwd: dir, encoding: 'utf8' });
  const r = spawnSync(
    process.execPath,
    ['-e', `const m = require('node:module'); let made = 0; const real = m.createRequire; m.createRequire = (f) => (made++, real(f));
      const b = require(${JSON.stringify(entry)}); process.stdout.write(JSON.stringify([b.sep, b.eol, made]));`],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual([path.sep, os.EOL, 0]);
});

test("tsc's __importStar gets one namespace per module, made as tsc's helper makes it, and is not left on exports", () => {
  // the helpers exactly as tsc emits them (taken from a compiled runtime module)
  const compiled = fs.readFileSync(path.resolve(__dirname, '..', 'dist', 'lock.js'), 'utf8');
  const helpers = compiled.slice(0, compiled.indexOf('Object.defineProperty(exports, "__esModule"'));
  expect(helpers).toContain('(this && this.__importStar) ||');
  const user = (name: string): string =>
    `${helpers}Object.defineProperty(exports, "__esModule", { value: true });\nconst fs = __importStar(require("node:fs"));\nexports.fs = fs;\nexports.name = ${JSON.stringify(name)};\n`;
  write('pkg/dist/star/a.js', user('a'));
  write('pkg/dist/star/b.js', user('b'));
  write('pkg/dist/star/main.js', 'exports.a = require("./a");\nexports.b = require("./b");\n');
  const entry = path.join(dir, 'out3', 'cli.js');
  execFileSync(process.execPath, [BUNDLER, 'pkg/dist/star/main.js', entry], { cwd: dir, encoding: 'utf8' });
  const shape = (ns: string): string =>
    `Object.getOwnPropertyNames(${ns}).map((k) => { const d = Object.getOwnPropertyDescriptor(${ns}, k); return [k, d.enumerable, 'get' in d, d.writable === true]; })`;
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `const b = require(${JSON.stringify(entry)}); const plain = require(${JSON.stringify(path.join(dir, 'pkg/dist/star/a.js'))});
      process.stdout.write(JSON.stringify({
        shared: b.a.fs === b.b.fs, names: [b.a.name, b.b.name], live: b.a.fs.readFileSync === require('node:fs').readFileSync,
        def: b.a.fs.default === require('node:fs'), left: Object.getOwnPropertyNames(b.a).includes('__importStar'),
        same: JSON.stringify(${shape('b.a.fs')}) === JSON.stringify(${shape('plain.fs')}), plainShared: plain.fs === b.a.fs,
      }));`,
    ],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({ shared: true, names: ['a', 'b'], live: true, def: true, left: false, same: true, plainShared: false });
});

test('bad arguments: a clear error, nothing written', () => {
  const r = spawnSync(process.execPath, [BUNDLER, path.join(dir, 'nope.js'), path.join(dir, 'x', 'cli.js')], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('nope.js: no such file');
  expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
});

test('the runtime CLI runs from a bundle (build first: npx tsc -b)', () => {
  const runtimeOut = path.join(dir, 'rt', 'cli.js');
  const repo = path.resolve(__dirname, '..', '..');
  execFileSync(process.execPath, [BUNDLER, '--lazy', '/(spec|sys)/dist/index\\.js$', 'runtime/dist/cli/main.js', runtimeOut], { cwd: repo, encoding: 'utf8' });
  const r = spawnSync(
    process.execPath,
    ['-e', `require(${JSON.stringify(runtimeOut)}).main(process.argv.slice(1))`, '--', '--root', path.join(dir, 'state'), 'state', 'nosuch'],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toContain('container nosuch does not exist');
  expect(r.status).toBe(1);
});
