#!/usr/bin/env node
// Regenerates patternmatcher.jsonl: random .dockerignore files and paths,
// decided by the real Go code (oracle.go: BuildKit's dockerignore.ReadAll and
// moby/patternmatcher). Needs Go and the sources, e.g. on Debian 12:
//   apt-get install golang-go golang-github-moby-patternmatcher-dev golang-github-docker-docker-dev
//   node builder/test/dockerignore/golden/generate.js
// Recorded with Debian's golang-github-moby-patternmatcher-dev 0.5.0-2.
'use strict';
const { execFileSync } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync, copyFileSync, mkdirSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

let seed = 20261128;
const rnd = (n) => {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed % n;
};
const pick = (a) => a[rnd(a.length)];

// Pattern pieces: names, separators, globs, classes, escapes, cleaning, comments.
const TOKENS = ['a', 'b', 'ab', 'src', 'node_modules', '.git', '/', '/', '/', '*', '*', '**', '**/', '/**', '?',
  '.', '.log', '[a-b]', '[^a]', '[\\]]', '\\*', '\\.', '\\d', './', '../', ' ', '#', '+', '(', ')', '$', '^', ']', '-', '{x}'];
const NAMES = ['a', 'b', 'ab', 'src', 'node_modules', '.git', 'x.log', 'a.b', '.a', 'c', 'ba', 'a+', '(a)', '*', 'x?',
  'a]', '1', 'aa', '{x}', '$', 'b-a', 'README.md'];

const cases = [];
for (let i = 0; i < 500; i++) {
  const lines = [];
  for (let l = 0, n = 1 + rnd(4); l < n; l++) {
    let s = rnd(4) === 0 ? '!' : '';
    for (let t = 0, m = 1 + rnd(5); t < m; t++) s += pick(TOKENS);
    lines.push(s);
  }
  if (rnd(8) === 0) lines.splice(rnd(lines.length), 0, '');
  const paths = [];
  for (let p = 0; p < 10; p++) paths.push(Array.from({ length: 1 + rnd(4) }, () => pick(NAMES)).join('/'));
  cases.push({ ignore: lines.join(rnd(6) === 0 ? '\r\n' : '\n'), paths });
}

const work = mkdtempSync(path.join(os.tmpdir(), 'berth-oracle-'));
try {
  const pkg = path.join(work, 'src', 'oracle');
  mkdirSync(pkg, { recursive: true });
  copyFileSync(path.join(__dirname, 'oracle.go'), path.join(pkg, 'oracle.go'));
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: `${work}:/usr/share/gocode`, GOCACHE: path.join(work, 'cache') };
  execFileSync('go', ['build', '-o', path.join(work, 'oracle'), '.'], { cwd: pkg, env, stdio: 'inherit' });
  const input = cases.map((c) => JSON.stringify(c)).join('\n') + '\n';
  const answers = execFileSync(path.join(work, 'oracle'), { input, maxBuffer: 1 << 26 }).toString().trim().split('\n');
  const out = cases.map((c, i) => JSON.stringify([c.ignore, c.paths, JSON.parse(answers[i])]));
  writeFileSync(path.join(__dirname, 'patternmatcher.jsonl'), out.join('\n') + '\n');
  console.log(`wrote ${out.length} cases`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
