'use strict';
// A V8 code cache for berth's own modules (Node 20 has no module.enableCompileCache).
//
// Parsing and compiling JavaScript is the largest part of a `berth run` (~230 of ~520 M
// instructions, callgrind): every start compiles each module's wrapper and then, lazily, each
// function it calls. Here each module is compiled through vm.Script with the cached data of an
// earlier run, and at exit the modules that had none (or a rejected one) are written back with
// `createCachedData()`, which then holds every function that run compiled, not just the
// wrappers (a cache made at compile time, as v8-compile-cache does, holds the wrappers only and
// gained nothing when tried here). Caches are kept per command (`run`, `pull`, ...), so one
// made by a `berth images` does not stand in for the functions `berth run` needs, and only
// after a run that exited 0, so an early usage error does not cache a mostly uncompiled module.
//
// Where: DIR/<command>/<module path with / as !>, DIR being engine/dist/.v8-cache. Each file
// starts with the source file's size and mtime: a rebuilt module misses and is written anew
// (V8 itself rejects data of another V8 version or flags, and checks only the source's
// length). Module resolution is cached too (resolve.json: the file each `require(request)` from
// a directory resolved to), as it cost nearly as much as compiling (stats, realpaths, package
// scopes): an entry is used while its file exists and the requiring directory's mtime is the
// one recorded (a file added there could change what the request resolves to).
// The directory must belong to us and be writable by us alone (the code in it runs);
// if it cannot be made so (a read-only install), nothing is cached and nothing fails.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const MAGIC = 'berth-v8-cache-1';
const main = require.main;

/** The directory for `group`, created 0700, or undefined if it is not ours alone. */
function cacheDir(base, group) {
  const dir = path.join(base, group);
  try {
    for (const d of [base, dir]) {
      fs.mkdirSync(d, { recursive: true, mode: 0o700 });
      const st = fs.statSync(d);
      if (st.uid !== process.geteuid() || (st.mode & 0o022) !== 0) return undefined;
    }
    return dir;
  } catch {
    return undefined;
  }
}

function stamp(st) {
  return `${MAGIC} ${st.size} ${st.mtimeMs}\n`;
}

/** Its cached data if the cache file matches the source file as it is now. */
function readCache(file, sourceStat) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const head = stamp(sourceStat);
  if (buf.length <= head.length || buf.toString('latin1', 0, head.length) !== head) return undefined;
  return buf.subarray(head.length);
}

/**
 * Compiles the modules under `root` (the repository: berth's packages and node_modules) with the
 * cache in `base`/`group`. Call before the CLI is required. Returns counts (for tests), or
 * undefined when there is no usable cache directory.
 */
function install(root, base, group) {
  const dir = cacheDir(base, group);
  if (dir === undefined) return undefined;
  const stats = { hits: 0, misses: 0, written: 0, resolved: 0 };
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const toWrite = [];
  const compile = Module.prototype._compile;
  Module.prototype._compile = function cachedCompile(content, filename) {
    // import() in a vm.Script needs Node's loader handed over, which Node 20 flags as experimental
    // (a warning on stderr): such modules compile as usual (berth run's path has none).
    // A leading #! is only valid where the wrapper would now be.
    if (!filename.startsWith(prefix) || content.includes('import(') || content.startsWith('#!')) {
      return compile.call(this, content, filename);
    }
    const file = path.join(dir, filename.slice(prefix.length).split(path.sep).join('!'));
    let st;
    try {
      st = fs.statSync(filename);
    } catch {
      return compile.call(this, content, filename);
    }
    const cachedData = readCache(file, st);
    const script = new vm.Script(Module.wrap(content), { filename, cachedData });
    if (cachedData === undefined || script.cachedDataRejected) {
      stats.misses++;
      toWrite.push({ script, file, head: stamp(st) });
    } else {
      stats.hits++;
    }
    const wrapper = script.runInThisContext({ displayErrors: true });
    const mod = this;
    const require = (id) => mod.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
    require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
    require.main = main;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    return wrapper.call(mod.exports, mod.exports, require, mod, filename, path.dirname(filename));
  };
  const saveResolutions = cacheResolutions(dir, prefix, stats);
  process.once('exit', (code) => {
    if (code !== 0) return;
    saveResolutions();
    for (const { script, file, head } of toWrite) {
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, Buffer.concat([Buffer.from(head, 'latin1'), script.createCachedData()]), { mode: 0o600 });
        fs.renameSync(tmp, file);
        stats.written++;
      } catch {
        try {
          fs.rmSync(tmp, { force: true });
        } catch {
          // a cache is optional: never fail berth's exit over it
        }
      }
    }
  });
  return stats;
}

/** mtimeMs of a directory, once per process; undefined if it cannot be read. */
const dirTimes = new Map();
function dirTime(dir) {
  if (!dirTimes.has(dir)) dirTimes.set(dir, fs.statSync(dir, { throwIfNoEntry: false })?.mtimeMs);
  return dirTimes.get(dir);
}

/**
 * Serves `require` resolutions of modules under `prefix` from DIR/resolve.json; returns the
 * function that writes back what this process added.
 */
function cacheResolutions(dir, prefix, stats) {
  const file = path.join(dir, 'resolve.json');
  let map = Object.create(null);
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (saved.magic === MAGIC && saved.map !== null && typeof saved.map === 'object') map = Object.assign(Object.create(null), saved.map);
  } catch {
    // none yet, or unreadable: resolve as Node does
  }
  let added = false;
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function cachedResolve(request, parent, isMain, options) {
    const from = parent?.filename;
    if (options !== undefined || typeof from !== 'string' || !from.startsWith(prefix) || Module.isBuiltin(request)) {
      return resolve.call(this, request, parent, isMain, options);
    }
    const where = path.dirname(from);
    const key = `${where}\0${request}`;
    const hit = map[key];
    if (hit !== undefined && hit[1] === dirTime(where) && fs.existsSync(hit[0])) {
      stats.resolved++;
      return hit[0];
    }
    const filename = resolve.call(this, request, parent, isMain, options);
    const time = dirTime(where);
    if (filename.startsWith(prefix) && time !== undefined) {
      map[key] = [filename, time];
      added = true;
    }
    return filename;
  };
  return () => {
    if (!added) return;
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify({ magic: MAGIC, map }), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // optional, as the code cache
      }
    }
  };
}

module.exports = { install };
