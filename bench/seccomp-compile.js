#!/usr/bin/env node
'use strict';
// Compiles Docker's default seccomp profile N times with the compiled runtime
// package and prints the time per compile. Build first: `npx tsc -b runtime`.
//   node bench/seccomp-compile.js [N=1000]
const fs = require('node:fs');
const path = require('node:path');

const N = Number(process.argv[2] ?? 1000);
const profile = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'runtime', 'test', 'seccomp', 'fixtures', 'docker-default.json'), 'utf8'),
);

let seccomp;
try {
  seccomp = require('../runtime/dist/seccomp');
} catch (err) {
  console.error(`runtime/dist is missing or stale (${err.message}); run: npx tsc -b runtime`);
  process.exit(1);
}

// Warm up the JIT, then time.
let insns = 0;
for (let i = 0; i < 20; i++) insns = seccomp.compileSeccomp(profile, { nativeArch: 'x64' }).program.length / 8;
const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) seccomp.compileSeccomp(profile, { nativeArch: 'x64' });
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`docker default profile: ${insns} BPF instructions; ${N} compiles in ${ms.toFixed(1)} ms, ${(ms / N).toFixed(3)} ms per compile`);
