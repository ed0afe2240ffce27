#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS BERTH_NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node --
'use strict';
// `node --`: Node 20 looks for its own --env-file anywhere in argv (even after the script) and
// exits 9 on a missing file; `berth run --env-file F` must reach berth.
// NODE_EXTRA_CA_CERTS moves aside: Node parses that bundle at every start (~57 ms) and berth needs
// it only to reach a registry; cli/main.js hands it to the registry client (and back to children).
// The compiled CLI (`npx tsc -b engine`); kept small so start-up stays fast.
const path = require('node:path');

// `berth run` and `berth pull` load from the bundle `npm run build` makes (engine/dist/bundle/cli.js, by
// scripts/bundle.js: one file of sources, no module resolution, its own per-module code caches;
// fewer instructions than the files with compile-cache.js). Without it, when a `tsc -b` has
// rebuilt dist/ since (stale), with BERTH_BUNDLE=0 or BERTH_CODE_CACHE=0, and for every other
// command, dist/ runs with a V8 code cache (compile-cache.js) per command word; BERTH_CODE_CACHE=0
// turns that off too.
const COMMANDS = new Set(['run', 'container', 'pull', 'push', 'images', 'image', 'tag', 'rmi', 'history', 'save', 'load', 'login', 'logout', 'system', 'build']);
const argv = process.argv;
let i = 2;
while (argv[i] === '--root' || (argv[i] !== undefined && argv[i].startsWith('--root='))) i += argv[i] === '--root' ? 2 : 1;
const group = argv[i] === 'image' && argv[i + 1] === 'pull' ? 'pull' : COMMANDS.has(argv[i]) ? argv[i] : 'other';
const cache = process.env.BERTH_CODE_CACHE !== '0';
if (!((group === 'run' || group === 'pull') && cache && process.env.BERTH_BUNDLE !== '0' && loadBundle())) {
  if (cache) require('./compile-cache').install(path.join(__dirname, '..', '..'), path.join(__dirname, '..', 'dist', '.v8-cache'), group);
  try {
    require('../dist/cli/main.js');
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
      process.stderr.write('berth is not built: run `npm run build` in the repository root\n');
      process.exit(1);
    }
    throw err;
  }
}

/** Runs the CLI from its bundle; false when there is none, or it is stale or incomplete. */
function loadBundle() {
  const bundle = path.join(__dirname, '..', 'dist', 'bundle', 'cli.js');
  try {
    require(bundle);
    return true;
  } catch (err) {
    const code = err && err.code;
    // The bundle checks these before any module runs; any other error is the CLI's own.
    if (code === 'ERR_BUNDLE_STALE' || code === 'ERR_BUNDLE_INCOMPLETE') return false;
    if (code === 'MODULE_NOT_FOUND' && Array.isArray(err.requireStack) && err.requireStack.length === 1 && String(err.message).includes(bundle)) return false;
    throw err;
  }
}
