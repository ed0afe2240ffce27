#!/usr/bin/env node
'use strict';
// The compiled CLI: `npm run build` (tsc -b) makes runtime/dist.
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('berth-runtime is not built: run `npm run build` in the repository root\n');
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv.slice(2));
