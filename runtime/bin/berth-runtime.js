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
let cli;
if (process.env.BERTH_RUNTIME_BUNDLE !== '0') {
  try {
    cli = require(path.join(dist, 'bundle', 'cli.js'));
  } catch (err) {
    const code = err && err.code;
    if (code === 'MODULE_NOT_FOUND' && String(err.message).includes('bundle/cli.js')) {
      if (require('node:fs').existsSync(path.join(dist, 'cli', 'main.js'))) {
        process.stderr.write('berth-runtime: no bundle (runtime/dist/bundle/cli.js): running dist/, slower; `npm run build` makes it\n');
      }
    } else if (code !== 'ERR_BUNDLE_STALE' && code !== 'ERR_BUNDLE_INCOMPLETE') {
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
cli.main(argv);
