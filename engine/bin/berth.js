#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS BERTH_NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node --
'use strict';
// `node --`: Node 20 looks for its own --env-file anywhere in argv (even after the script) and
// exits 9 on a missing file; `berth run --env-file F` must reach berth.
// NODE_EXTRA_CA_CERTS moves aside: Node parses that bundle at every start (~57 ms) and berth needs
// it only to reach a registry; cli/main.js hands it to the registry client (and back to children).
// The compiled CLI (`npx tsc -b engine`); kept small so start-up stays fast.
const path = require('node:path');

// The modules are compiled with a V8 code cache (compile-cache.js), one per command word;
// BERTH_CODE_CACHE=0 turns it off.
const COMMANDS = new Set(['run', 'container', 'pull', 'push', 'images', 'image', 'tag', 'rmi', 'history', 'save', 'load', 'login', 'logout', 'system', 'build']);
if (process.env.BERTH_CODE_CACHE !== '0') {
  const argv = process.argv;
  let i = 2;
  while (argv[i] === '--root' || (argv[i] !== undefined && argv[i].startsWith('--root='))) i += argv[i] === '--root' ? 2 : 1;
  const group = COMMANDS.has(argv[i]) ? argv[i] : 'other';
  const root = path.join(__dirname, '..', '..');
  require('./compile-cache').install(root, path.join(__dirname, '..', 'dist', '.v8-cache'), group);
}
try {
  require('../dist/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('berth is not built: run `npm run build` in the repository root\n');
    process.exit(1);
  }
  throw err;
}
