// Runs berth-runtime's CLI from its TypeScript sources, so tests need no build:
// @berth/<pkg> resolves to <pkg>/src/index.ts and .ts files are compiled by swc
// (as jest does) on load.
'use strict';
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..', '..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const m = /^@berth\/([a-z-]+)$/.exec(request);
  return resolveFilename.call(this, m ? path.join(root, m[1], 'src', 'index.ts') : request, ...rest);
};
// Compiled output is cached by content hash: each CLI call re-reads ~25 files.
const cacheDir = path.join(require('node:os').tmpdir(), 'berth-runtime-swc-cache');
fs.mkdirSync(cacheDir, { recursive: true });
require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const key = require('node:crypto').createHash('sha1').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    code = require('@swc/core').transformSync(source, {
      filename,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    }).code;
    const tmp = `${cached}.${process.pid}`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, cached);
  }
  module._compile(code, filename);
};
require(path.join(root, 'runtime', 'src', 'cli', 'main.ts')).main(process.argv.slice(2));
