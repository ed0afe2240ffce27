#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --
'use strict';
// The shebang drops NODE_EXTRA_CA_CERTS: Node 20 parses that CA bundle at every start (~60 ms,
// more than runc's whole call), and berth-runtime makes no TLS connections. Shims exec this file
// directly, so they get the shebang; the container's and the hooks' environments come from
// config.json, never from ours. (`env -S` needs coreutils >= 8.30.)
// `--` after node: Node 20 takes its own --env-file from anywhere in argv (even after the script),
// and a container's argv (`exec ID cmd --env-file F`) must reach us untouched.
const path = require('node:path');

// The compiled CLI: `npm run build` (tsc -b) makes runtime/dist.
const dist = path.join(__dirname, '..', 'dist');
// Load @berth/spec (all but its errors) and @berth/sys on first use only: see defer.js.
const { defer } = require('./defer');
defer('@berth/spec', dist, 'errors.js');
defer('@berth/sys', dist, 'fds.js');
let cli;
try {
  cli = require(path.join(dist, 'cli', 'main.js'));
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('berth-runtime is not built: run `npm run build` in the repository root\n');
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv.slice(2));
