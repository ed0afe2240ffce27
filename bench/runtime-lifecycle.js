#!/usr/bin/env node
// Times create + start + wait + delete of a busybox `true` bundle under runc
// and berth-runtime (the built bin: run `npx tsc -b runtime` first), then
// `exec true` in a running container under each, in the same run, and prints
// the medians and their ratios.
// Usage: node bench/runtime-lifecycle.js [cycles=10]
// BENCH_AB=1 also runs berth-runtime from dist/ without its bundle (BERTH_RUNTIME_BUNDLE=0) in
// each cycle: a paired A/B of the bundle. BENCH_OTHER=PATH does the same with another build's
// bin (e.g. a copy of the tree at an older commit, built): a paired A/B of two versions.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const cycles = Number(process.argv[2] ?? 10);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
const berthBin = path.resolve(__dirname, '..', 'runtime', 'bin', 'berth-runtime.js');

function makeBundle() {
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'true', 'sleep']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  execFileSync(process.execPath, [berthBin, 'spec', '--bundle', dir]);
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['true'];
  delete spec.linux.resources; // no cgroups in either runtime's cycle
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
}

// Errors go to a file, not a pipe: a created container inherits stderr and
// would hold a pipe open until it exits.
function run(cmd, args, env) {
  const errFile = path.join(dir, 'stderr');
  const fd = fs.openSync(errFile, 'w');
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', fd], env });
  fs.closeSync(fd);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${fs.readFileSync(errFile, 'utf8')}`);
}

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** One cycle; `steps` collects each command's time (state: all polls together). */
function cycle(cmd, pre, id, steps, env) {
  const t0 = process.hrtime.bigint();
  let t = t0;
  const step = (name) => {
    steps[name].push(ms(t));
    t = process.hrtime.bigint();
  };
  run(cmd, [...pre, 'create', '--bundle', dir, id], env);
  step('create');
  run(cmd, [...pre, 'start', id], env);
  step('start');
  // wait: poll state until stopped (true exits at once)
  for (;;) {
    const r = spawnSync(cmd, [...pre, 'state', id], { encoding: 'utf8', env });
    if (JSON.parse(r.stdout).status === 'stopped') break;
  }
  step('state');
  run(cmd, [...pre, 'delete', id], env);
  step('delete');
  return ms(t0);
}

/**
 * `exec true` in a running container (`sleep`, from a second bundle sharing the
 * rootfs): each call's time, the container created, started, killed and deleted around them.
 */
function execTimes(cmd, pre, id, n) {
  const bundle = path.join(dir, 'exec-bundle');
  if (!fs.existsSync(bundle)) {
    fs.mkdirSync(bundle);
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    spec.root.path = path.join(dir, 'rootfs');
    spec.process.args = ['sleep', '600'];
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
  }
  run(cmd, [...pre, 'create', '--bundle', bundle, id]);
  try {
    run(cmd, [...pre, 'start', id]);
    const out = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      run(cmd, [...pre, 'exec', id, 'true']);
      out.push(ms(t0));
    }
    return out;
  } finally {
    spawnSync(cmd, [...pre, 'delete', '--force', id], { stdio: 'ignore' });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const newSteps = () => ({ create: [], start: [], state: [], delete: [] });
const stepLine = (steps) => Object.entries(steps).map(([k, v]) => `${k} ${median(v).toFixed(0)}`).join(', ');

try {
  makeBundle();
  const ab = process.env.BENCH_AB === '1';
  const otherBin = process.env.BENCH_OTHER ? path.resolve(process.env.BENCH_OTHER) : undefined;
  const noBundle = { ...process.env, BERTH_RUNTIME_BUNDLE: '0' };
  const times = { runc: [], berth: [], dist: [], other: [], node: [] };
  const steps = { runc: newSteps(), berth: newSteps(), dist: newSteps(), other: newSteps() };
  for (let i = 0; i < cycles; i++) {
    times.runc.push(cycle('runc', ['--root', path.join(dir, 'runc')], `b${i}`, steps.runc));
    // exec'd directly, as containerd-shim-runc-v2 and conmon do (so its shebang applies)
    const bundled = () => times.berth.push(cycle(berthBin, ['--root', path.join(dir, 'berth')], `b${i}`, steps.berth));
    const fromDist = () => times.dist.push(cycle(berthBin, ['--root', path.join(dir, 'berth')], `d${i}`, steps.dist, noBundle));
    // A/B: which goes first alternates, so neither always follows runc
    const other = () => times.other.push(cycle(otherBin, ['--root', path.join(dir, 'other')], `o${i}`, steps.other));
    if (ab && i % 2 === 1) fromDist();
    if (otherBin && i % 2 === 1) other();
    bundled();
    if (ab && i % 2 === 0) fromDist();
    if (otherBin && i % 2 === 0) other();
    const t0 = process.hrtime.bigint();
    run(process.execPath, ['-e', '0']);
    times.node.push(ms(t0));
  }
  // exec: runc and berth-runtime each in their own running container, calls interleaved in rounds
  const execs = { runc: [], berth: [] };
  for (let round = 0; round < 2; round++) {
    execs.runc.push(...execTimes('runc', ['--root', path.join(dir, 'runc')], `x${round}`, Math.ceil(cycles / 2)));
    execs.berth.push(...execTimes(berthBin, ['--root', path.join(dir, 'berth')], `x${round}`, Math.ceil(cycles / 2)));
  }
  const r = median(times.runc);
  const b = median(times.berth);
  console.log(`runc          ${r.toFixed(0)} ms per create+start+wait+delete (median of ${cycles}; ${stepLine(steps.runc)})`);
  console.log(`berth-runtime ${b.toFixed(0)} ms (${stepLine(steps.berth)})`);
  if (ab) {
    const d = median(times.dist);
    console.log(`  without bundle ${d.toFixed(0)} ms (${stepLine(steps.dist)}), ${(d / r).toFixed(2)}x runc; bundle/dist ${(b / d).toFixed(2)}`);
  }
  if (otherBin) {
    const o = median(times.other);
    console.log(`  other build ${o.toFixed(0)} ms (${stepLine(steps.other)}), ${(o / r).toFixed(2)}x runc; this/other ${(b / o).toFixed(2)} (${otherBin})`);
  }
  console.log(`ratio         ${(b / r).toFixed(2)}x runc   (load average ${os.loadavg()[0].toFixed(2)}, ${os.cpus().length} cpus)`);
  const xr = median(execs.runc);
  const xb = median(execs.berth);
  console.log(`exec true     runc ${xr.toFixed(0)} ms, berth-runtime ${xb.toFixed(0)} ms, ratio ${(xb / xr).toFixed(2)}x (median of ${execs.runc.length}, in a running container)`);
  console.log(`node -e 0     ${median(times.node).toFixed(0)} ms (Node's own start-up, paid by each of the 4 calls)`);
  // Node reads this file at start-up, before any of berth's code runs: tens of ms per call.
  if (process.env.NODE_EXTRA_CA_CERTS) console.log(`note: NODE_EXTRA_CA_CERTS is set (${process.env.NODE_EXTRA_CA_CERTS}): every Node start loads it`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
