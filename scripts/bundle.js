#!/usr/bin/env node
// Bundles a compiled (CommonJS) entry and the files it requires into one file, so that a CLI
// start reads one file instead of ~30-60, and resolves no module paths (each `require` of a
// file costs stats, a realpath, a read; together more than the code they load).
//
// Usage: node scripts/bundle.js [--external REGEX]... [--lazy REGEX]... ENTRY OUT
//   ENTRY  a compiled CommonJS file, e.g. runtime/dist/cli/main.js (build with `tsc -b` first)
//   OUT    the bundle to write, e.g. runtime/dist/bundle/cli.js; OUT's exports are ENTRY's
//   --external REGEX  files whose absolute path matches stay out of the bundle and are required
//          from where they are. For large modules few calls use: the bundle's text is read and
//          scanned at every start.
//   --lazy REGEX  barrels (index files that only re-export their submodules) whose absolute path
//          matches become getters that load each submodule at the first use of one of its names.
//
// The bundle is OUT (a loader and a table) and OUT's base name + a content hash + .data (the
// modules' sources), each compiled (vm.compileFunction, as Node's
// own loader does) at its first `require`, in the order and at the time Node would: a lazy
// `require` stays lazy, and a start pays parsing for the modules it runs only (a bundle of
// function wrappers, as esbuild writes, pre-parses every module at every start: measured, it
// cost more than the file loading it saved). Each module keeps its own file name, `__dirname`,
// line numbers and source map, so stack traces and addons located next to a module are as
// before. Native addons (`*.node`), Node's built-ins and computed requires go to Node.
//
// esbuild (a devDependency) finds the module graph: which file each `require(...)` resolves to.
//
// A bundle knows the tsbuildinfo files of the workspace packages it took files from: a `tsc -b`
// that emits rewrites them, and requiring a bundle older than any of them throws, with code
// ERR_BUNDLE_STALE (ERR_BUNDLE_INCOMPLETE: its sources are missing), before any module runs, so
// a bin can fall back to the compiled files: see runtime/bin/berth-runtime.js.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const USAGE = 'usage: node scripts/bundle.js [--external REGEX]... [--lazy REGEX]... ENTRY OUT\n';

function usage(message) {
  process.stderr.write(`bundle: ${message}\n${USAGE}`);
  process.exit(2);
}

/** The directory of the nearest package.json above `file`. */
function packageRoot(file) {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

// The loader at the top of every bundle. FILES[i] = [file relative to the bundle, offset and
// length of its source in DATA, { request: index of a bundled module | a path or builtin for
// Node's require }]. The sources are in a separate file, read one by one when first required:
// V8 scans a string literal at ~30 instructions a byte (a 500 KiB table of sources cost more
// than the files it saved), and a read of only the modules a call runs touches less memory.
const LOADER = `const __path = require('node:path');
const __fs = require('node:fs');
const __vm = require('node:vm');
const __cache = [];
const __params = ['exports', 'require', 'module', '__filename', '__dirname'];
function __unusable(code, message) {
  return Object.assign(new Error(\`\${__filename}: \${message}\`), { code });
}
// Stale: some package's tsc stamp is newer than the bundle, i.e. its files were rebuilt since.
{
  const built = __fs.statSync(__filename).mtimeMs;
  for (const stamp of STAMPS) {
    const st = __fs.statSync(__path.join(__dirname, stamp), { throwIfNoEntry: false });
    if (st !== undefined && st.mtimeMs > built) throw __unusable('ERR_BUNDLE_STALE', \`older than \${stamp}: rebuild it (npm run build)\`);
  }
}
let __data;
try {
  __data = __fs.openSync(__path.join(__dirname, DATA), 'r');
} catch (err) {
  throw __unusable('ERR_BUNDLE_INCOMPLETE', \`its sources (\${DATA}) cannot be opened: \${err.message}\`);
}
function __source(offset, length) {
  const buf = Buffer.allocUnsafe(length);
  if (__fs.readSync(__data, buf, 0, length, offset) !== length) throw __unusable('ERR_BUNDLE_INCOMPLETE', \`\${DATA} is truncated: rebuild it\`);
  return buf.toString('utf8');
}
// Code caches for the modules (V8's compiled code, as Node keeps for its own modules): the
// first call that compiles a module writes one when it exits, with the functions it ran,
// and later calls read it instead of parsing the module again. Keyed by the sources' hash (in
// DATA's name) and Node's version; V8 refuses one made by another V8 or other flags (the module
// is then compiled from source, and the cache rewritten). Written whole (temp + rename), or not
// at all where the directory is not writable.
const __cacheDir = __path.join(__dirname, \`\${DATA}.cache\`);
const __toCache = [];
function __compile(i, source, filename) {
  if (source.length < CACHE_MIN) return __vm.compileFunction(source, __params, { filename });
  const file = __path.join(__cacheDir, \`\${i}-\${process.version}\`);
  let cachedData;
  try {
    cachedData = __fs.readFileSync(file);
  } catch {
    // none yet
  }
  // Node's own wrapper, on the source's first line: line numbers stay as they were.
  const script = new __vm.Script(\`(function (\${__params.join(', ')}) { \${source}\\n})\`, { filename, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    if (__toCache.length === 0) process.once('exit', __writeCaches);
    __toCache.push([file, script]);
  }
  return script.runInThisContext();
}
function __writeCaches() {
  for (const [file, script] of __toCache) {
    const tmp = \`\${file}.\${process.pid}.tmp\`;
    try {
      __fs.mkdirSync(__cacheDir, { recursive: true });
      __fs.writeFileSync(tmp, script.createCachedData());
      __fs.renameSync(tmp, file);
    } catch {
      __fs.rmSync(tmp, { force: true });
    }
  }
}
// \`import * as fs from 'node:fs'\` compiles to tsc's __importStar(require('node:fs')), which
// builds a new namespace of getters, one per export, at every import site (~0.2 ms for
// node:fs here, at each of ~60 sites). One namespace per module, as ES modules have, made the
// way tsc's helper makes it.
const __namespaces = new WeakMap();
function __importStar(mod) {
  if (mod && mod.__esModule) return mod;
  if (mod === null || (typeof mod !== 'object' && typeof mod !== 'function')) return { default: mod };
  let ns = __namespaces.get(mod);
  if (ns !== undefined) return ns;
  ns = {};
  for (const k of Object.getOwnPropertyNames(mod)) {
    if (k === 'default') continue;
    const desc = Object.getOwnPropertyDescriptor(mod, k);
    Object.defineProperty(ns, k, !desc || ('get' in desc ? !mod.__esModule : desc.writable || desc.configurable) ? { enumerable: true, get: () => mod[k] } : desc);
  }
  Object.defineProperty(ns, 'default', { enumerable: true, value: mod });
  __namespaces.set(mod, ns);
  return ns;
}
function __load(i) {
  const cached = __cache[i];
  if (cached !== undefined) return cached.exports;
  const [rel, offset, length, deps, usesImportStar] = FILES[i];
  const filename = __path.join(__dirname, rel);
  const m = { id: filename, filename, exports: {}, loaded: false, children: [], paths: [] };
  let nodeRequire;
  const fromHere = () => (nodeRequire ??= require('node:module').createRequire(filename));
  const req = (request) => {
    const dep = Object.hasOwn(deps, request) ? deps[request] : undefined;
    if (typeof dep === 'number') return __load(dep);
    // Relative to the bundle, whichever require runs the loader (the bin compiles it itself).
    if (dep !== undefined) return require(dep[0] === '.' ? __path.join(__dirname, dep) : dep);
    return fromHere()(request); // computed, e.g. an addon's path
  };
  req.resolve = (request, options) => fromHere().resolve(request, options);
  req.main = require.main;
  req.cache = require.cache;
  __cache[i] = m;
  try {
    const fn = __compile(i, __source(offset, length), filename);
    // tsc's __importStar helper takes \`this.__importStar\` where one is given (\`this\` is the
    // module's exports): given only while the module's body runs, the shared one below.
    if (usesImportStar) Object.defineProperty(m.exports, '__importStar', { value: __importStar, configurable: true });
    const exports = m.exports;
    try {
      fn.call(exports, exports, req, m, filename, __path.dirname(filename));
    } finally {
      if (usesImportStar) delete exports.__importStar;
    }
  } catch (err) {
    __cache[i] = undefined; // as Node: a module that threw is loaded afresh next time
    throw err;
  }
  m.loaded = true;
  return m.exports;
}
`;

/**
 * A lazy stand-in for a barrel (an index that only re-exports its submodules): each name is a
 * getter that requires its submodule at first use, so a call that needs one class from a
 * package does not load the whole package. The names and their submodules are found by
 * loading the barrel here, at build time, and matching each export by identity.
 */
function lazyBarrel(abs, requests) {
  const barrel = require(abs);
  const providers = requests.map((request) => [request, require(require.resolve(request, { paths: [path.dirname(abs)] }))]);
  const byRequest = new Map();
  for (const name of Object.keys(barrel)) {
    if (name === '__esModule') continue;
    const hit = providers.find(([, mod]) => Object.hasOwn(mod, name) && mod[name] === barrel[name]);
    if (!hit) throw new Error(`${abs}: export ${name} comes from none of its requires: not a barrel, cannot be made lazy`);
    byRequest.set(hit[0], [...(byRequest.get(hit[0]) ?? []), name]);
  }
  const lines = [
    '"use strict";',
    `// Generated by scripts/bundle.js from ${path.basename(abs)}: each export loads its submodule at first use.`,
    'Object.defineProperty(exports, "__esModule", { value: true });',
    'const lazy = (names, load) => { for (const n of names) Object.defineProperty(exports, n, { enumerable: true, get: () => load()[n] }); };',
  ];
  for (const [request, names] of byRequest) lines.push(`lazy(${JSON.stringify(names)}, () => require(${JSON.stringify(request)}));`);
  return `${lines.join('\n')}\n`;
}

/**
 * @param {string} entry
 * @param {string} out
 * @param {{ external?: RegExp[], lazy?: RegExp[], cacheMin?: number }} [options]
 *   cacheMin: modules of at least this many characters get a code cache (Infinity: none)
 * @returns {Promise<{ modules: number, bytes: number, stamps: string[] }>}
 */
async function bundle(entry, out, options = {}) {
  const external = options.external ?? [];
  const lazy = options.lazy ?? [];
  const cacheMin = options.cacheMin ?? 0;
  // Loaded here: `--help` and usage errors need no esbuild.
  const esbuild = require('esbuild');
  const crypto = require('node:crypto');
  const outDir = path.dirname(path.resolve(out));
  // A path for Node's require from the bundle: './x' or '../x'.
  const fromOut = (abs) => {
    const r = path.relative(outDir, abs);
    return r.startsWith('..') ? r : `./${r}`;
  };
  const leaveOut = {
    name: 'leave-out',
    setup(build) {
      build.onResolve({ filter: /\.node$/ }, (args) => ({ path: path.resolve(args.resolveDir, args.path), external: true }));
      if (external.length === 0) return;
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'resolving' || args.kind === 'entry-point') return undefined;
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' });
        if (r.errors.length > 0 || r.external || !external.some((re) => re.test(r.path))) return undefined;
        return { path: r.path, external: true };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    outfile: out,
    platform: 'node',
    format: 'cjs',
    metafile: true,
    logLevel: 'error',
    plugins: [leaveOut],
  });
  const inputs = result.metafile.inputs;
  const cwd = process.cwd();
  const entryKey = path.relative(cwd, path.resolve(entry)).split(path.sep).join('/');
  if (!Object.hasOwn(inputs, entryKey)) throw new Error(`esbuild's graph does not name the entry ${entryKey}`);
  // The entry first: the loader starts at index 0.
  const keys = [entryKey, ...Object.keys(inputs).filter((k) => k !== entryKey)];
  const index = new Map(keys.map((k, i) => [k, i]));
  const chunks = [];
  let offset = 0;
  const files = keys.map((key) => {
    const abs = path.resolve(cwd, key);
    if (!/\.[cm]?js$/.test(key) || inputs[key].format === 'esm') {
      throw new Error(`${key}: only compiled CommonJS can be bundled (format ${inputs[key].format ?? 'unknown'})`);
    }
    const deps = {};
    for (const imp of inputs[key].imports) {
      // esbuild names the request (`original`) only where it differs from the path it
      // resolved to: a builtin such as 'node:fs' has none, and goes to the loader's own require.
      if (imp.original === undefined && !(imp.external && !path.isAbsolute(imp.path))) continue;
      if (!imp.external) deps[imp.original] = index.get(imp.path);
      else if (path.isAbsolute(imp.path)) deps[imp.original] = fromOut(imp.path);
      else deps[imp.original ?? imp.path] = imp.path; // a builtin
    }
    const source = lazy.some((re) => re.test(abs))
      ? lazyBarrel(abs, Object.keys(deps).filter((r) => typeof deps[r] === 'number'))
      : fs.readFileSync(abs, 'utf8');
    const bytes = Buffer.from(source, 'utf8');
    chunks.push(bytes);
    const entryRow = [path.relative(outDir, abs), offset, bytes.length, deps];
    if (source.includes('(this && this.__importStar) ||')) entryRow.push(1);
    offset += bytes.length;
    return entryRow;
  });
  const data = Buffer.concat(chunks);
  const base = path.basename(out).replace(/\.[cm]?js$/, '');
  const dataName = `${base}.${crypto.createHash('sha256').update(data).digest('hex').slice(0, 12)}.data`;
  // The packages the bundle took files from, and their tsc stamps.
  const roots = new Set();
  for (const key of keys) {
    const abs = path.resolve(cwd, key);
    if (abs.split(path.sep).includes('node_modules')) continue;
    const root = packageRoot(abs);
    if (root !== undefined) roots.add(root);
  }
  const stamps = [...roots]
    .map((r) => path.join(r, 'tsconfig.tsbuildinfo'))
    .filter((f) => fs.existsSync(f))
    .map((f) => path.relative(outDir, f))
    .sort();
  const text =
    `'use strict';\n// Made by scripts/bundle.js from ${path.relative(outDir, path.resolve(entry))}: do not edit.\n` +
    `const DATA = ${JSON.stringify(dataName)};\nconst STAMPS = ${JSON.stringify(stamps)};\nconst CACHE_MIN = ${cacheMin};\n` +
    `${LOADER}const FILES = [\n${files.map((f) => JSON.stringify(f)).join(',\n')}\n];\n` +
    `module.exports = __load(0);\n`;
  fs.mkdirSync(outDir, { recursive: true });
  // The data under its content's name first, then the loader (temp + rename): a bin never
  // reads half a bundle, nor a loader whose data is not there.
  fs.writeFileSync(path.join(outDir, dataName), data);
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, out);
  // Older data files of this bundle (a process still reading one holds it open).
  for (const f of fs.readdirSync(outDir)) {
    // (and code caches of an older loader, which a bin may keep next to it: `cli.js.*.v8`)
    if (f.startsWith(`${base}.`) && !f.startsWith(dataName) && (f.endsWith('.data') || f.endsWith('.data.cache') || f.endsWith('.v8'))) {
      fs.rmSync(path.join(outDir, f), { recursive: true, force: true });
    }
  }
  return { modules: files.length, bytes: text.length + data.length, stamps };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--help' || args[0] === '-h') {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const options = { external: [], lazy: [] };
  while (args[0] === '--external' || args[0] === '--lazy') {
    if (args[1] === undefined) usage(`${args[0]} needs a REGEX`);
    try {
      options[args[0].slice(2)].push(new RegExp(args[1]));
    } catch (err) {
      usage(`${args[0]} ${args[1]}: ${err.message}`);
    }
    args.splice(0, 2);
  }
  if (args.length !== 2) usage(`expected ENTRY and OUT, got ${args.length} argument(s)`);
  const [entry, out] = args;
  if (!fs.existsSync(entry)) usage(`${entry}: no such file (build first: npx tsc -b)`);
  bundle(entry, out, options).then(
    (r) => process.stdout.write(`bundle: ${out} (${r.modules} modules, ${(r.bytes / 1024).toFixed(0)} KiB)\n`),
    (err) => {
      process.stderr.write(`bundle: ${entry} -> ${out}: ${err && err.message}\n`);
      process.exit(1);
    },
  );
}

module.exports = { bundle };
