#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --
'use strict';
// The shebang drops NODE_EXTRA_CA_CERTS: Node 20 parses that CA bundle at every start (~60 ms,
// more than runc's whole call), and berth-runtime makes no TLS connections. Shims exec this file
// directly, so they get the shebang; the container's and the hooks' environments come from
// config.json, never from ours. (`env -S` needs coreutils >= 8.30.)
// `--` after node: Node 20 takes its own --env-file from anywhere in argv, even after the script,
// and a container's argv (`exec ID cmd --env-file F`) must reach us untouched.
const path = require('node:path');

// The compiled CLI: `npm run build` (tsc -b, then scripts/bundle.js) makes runtime/dist and
// runtime/dist/bundle. The bundle (one file of the CLI's modules, each compiled at its first
// require) saves resolving and reading ~15-45 files per call. Without it, or when a `tsc -b`
// has rebuilt dist/ since (stale), the compiled files run as they are; BERTH_RUNTIME_BUNDLE=0
// runs them too (the bench's A/B).
const dist = path.join(__dirname, '..', 'dist');
const argv = process.argv.slice(2);

/**
 * The bundle's loader, compiled as Node would compile a module but with a V8 code cache: its
 * table of modules is most of its text, and Node 20 caches no user code (as the loader does for
 * the modules). The cache's name carries the file's inode, mtime and size: V8 checks only a
 * source's length, and a rebuild writes a new file (bundle.js removes old caches).
 * Returns undefined when there is no bundle.
 */
function loadBundle(file) {
  const fs = require('node:fs');
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
  let st;
  let source;
  try {
    st = fs.fstatSync(fd);
    source = Buffer.allocUnsafe(st.size);
    if (fs.readSync(fd, source, 0, st.size, 0) !== st.size) throw new Error(`${file}: short read`);
  } finally {
    fs.closeSync(fd);
  }
  const vm = require('node:vm');
  const cacheFile = `${file}.${st.ino}-${Math.trunc(st.mtimeMs)}-${st.size}-${process.version}.v8`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // none yet
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source.toString()}\n})`, { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        fs.rmSync(tmp, { force: true }); // not writable here: no cache, as before
      }
    });
  }
  const m = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext().call(m.exports, m.exports, require, m, file, path.dirname(file));
  m.loaded = true;
  return m.exports;
}

let cli;
if (process.env.BERTH_RUNTIME_BUNDLE !== '0') {
  try {
    cli = loadBundle(path.join(dist, 'bundle', 'cli.js'));
    if (cli === undefined && require('node:fs').existsSync(path.join(dist, 'cli', 'main.js'))) {
      process.stderr.write('berth-runtime: no bundle (runtime/dist/bundle/cli.js): running dist/, slower; `npm run build` makes it\n');
    }
  } catch (err) {
    const code = err && err.code;
    if (code !== 'ERR_BUNDLE_STALE' && code !== 'ERR_BUNDLE_INCOMPLETE') {
      throw err; // the CLI's own code failed while loading: as without the bundle
    }
  }
}
if (cli === undefined) {
  // Load @berth/spec (all but its errors) and @berth/sys on first use only: see defer.js.
  const { defer } = require('./defer');
  defer('@berth/spec', dist, 'errors.js');
  defer('@berth/sys', dist, 'fds.js');
  try {
    cli = require(path.join(dist, 'cli', 'main.js'));
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
      process.stderr.write('berth-runtime is not built: run `npm run build` in the repository root\n');
      process.exit(1);
    }
    throw err;
  }
}
// A call that leaves nothing pending exits at once (exit listeners, e.g. the code caches' writers, still run).
cli.main(argv).then((final) => {
  if (final === true) process.exit();
});
