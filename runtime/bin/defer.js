'use strict';
// Deferred package loading for the bin: every berth-runtime call pays Node's start-up, and
// loading @berth/spec's and @berth/sys's whole indexes added ~20% to a `state` call although
// it uses neither (state, and delete of a stopped container, need no syscall from the addon;
// the runtime needs only BerthError from @berth/spec to define its error classes).
//
// defer() puts a stand-in for a package's index in the module cache: names from `eagerFile`
// (a module the index re-exports) are served at once, from the very module instance the
// index re-exports (so `instanceof` holds); the first use of any other name loads the real
// index, which then replaces the stand-in in the cache. Only the bin uses this: tests and
// library users load the packages as they are.
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');

/**
 * @param {string} request  the package, e.g. '@berth/spec'
 * @param {string} from     the directory whose requires should see the stand-in
 * @param {string} [eagerFile]  a file next to the index whose exports are served at once
 * @returns {boolean} whether the package is deferred (false: it will load as usual)
 */
function defer(request, from, eagerFile) {
  let file;
  try {
    file = require.resolve(request, { paths: [from] });
  } catch {
    return false; // not built: let the real require report it
  }
  if (Module._cache[file]) return false;
  const dir = path.dirname(file);
  let eager = {};
  if (eagerFile !== undefined) {
    const eagerPath = path.join(dir, eagerFile);
    if (!fs.existsSync(eagerPath)) return false; // a layout we do not know: no deferral
    eager = require(eagerPath);
  }
  let real;
  const load = () => {
    if (real === undefined) {
      const m = new Module(file, module);
      m.filename = file;
      m.paths = Module._nodeModulePaths(dir);
      Module._cache[file] = m; // later requires get the real module directly
      try {
        m.load(file);
      } catch (err) {
        delete Module._cache[file];
        throw err;
      }
      real = m.exports;
    }
    return real;
  };
  const stub = new Module(file, module);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = new Proxy(
    {},
    {
      get: (_t, key) => (Object.hasOwn(eager, key) ? eager[key] : load()[key]),
      has: (_t, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      // The real exports' getters are non-configurable; the empty target cannot promise that.
      getOwnPropertyDescriptor: (_t, key) => {
        const d = Reflect.getOwnPropertyDescriptor(load(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
  Module._cache[file] = stub;
  return true;
}

module.exports = { defer };
