#!/usr/bin/env node
// Builds the addon and berth-init with node-gyp at `npm install`.
// Uses the headers of the node that runs us when they are installed
// (/usr/include/node on Debian), so no download is needed offline.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const prefix = path.resolve(process.execPath, '..', '..');
const args = ['rebuild'];
if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

// npm names its bundled node-gyp in npm_config_node_gyp for scripts; when run
// by hand, use the one npm ships next to this node.
const bundled = path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gyp = process.env.npm_config_node_gyp || (fs.existsSync(bundled) ? bundled : undefined);
const cmd = gyp ? process.execPath : 'node-gyp';
const argv = gyp ? [gyp, ...args] : args;
const r = spawnSync(cmd, argv, { cwd: path.resolve(__dirname, '..'), stdio: 'inherit' });
if (r.error) {
  console.error(`berth sys: cannot run node-gyp: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
