#!/usr/bin/env node
'use strict';
// `berth run --rm busybox true` against `docker run --rm` (a private dockerd)
// and `podman run --rm --runtime runc` (private storage), same image (the
// busybox fixture of @berth/test), interleaved, medians and ratios.
// Two rows: `--network none` for all three (a new network namespace each, like
// for like), and each tool's default network (berth: host; this dockerd has
// --bridge=none; podman: its bridge via netavark/CNI).
// Build first: `npm run build` (berth run then loads from engine/dist/bundle: engine/bin/berth.js).
// Needs dockerd; podman if installed (root).
// The warm-up run writes the bundle's code caches; BENCH_BERTH_AB=1 also times berth from dist/
// with compile-cache.js (BERTH_BUNDLE=0, "berth-dist") and with no cache at all
// (BERTH_CODE_CACHE=0, "berth-nocache") in the same rotation.
//   node bench/run.js [runs=10]
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startDockerd, mountsUnder } = require('./lib/dockerd');

const RUNS = Number(process.argv[2] ?? 10);
const BERTH = path.resolve(__dirname, '..', 'engine', 'bin', 'berth.js');

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

function timed(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const hasCommand = (c) => (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, c)));

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-run-'));
  let dockerd;
  try {
    const tar = path.join(root, 'busybox.tar');
    await require('../test/dist').makeDockerSaveTarball(tar, { repository: 'busybox', tag: 'latest' });

    const tools = {};
    const berthEnv = { ...process.env, BERTH_ROOT: path.join(root, 'berth') };
    run(BERTH, ['load', '-q', '-i', tar], berthEnv);
    // A missing or stale bundle (a `tsc -b` since `npm run build`) makes berth run from dist/: say so.
    const bundle = spawnSync(process.execPath, [path.join(BERTH, '..', '..', 'dist', 'bundle', 'cli.js'), '--version'], { encoding: 'utf8' });
    if (bundle.status !== 0) console.log(`note: berth runs from dist/, not its bundle: ${(bundle.stderr.match(/Error: .*/) ?? ['?'])[0]}`);
    tools.berth = (net) => run(BERTH, ['run', '--rm', ...net, 'busybox', 'true'], berthEnv);
    if (process.env.BENCH_BERTH_AB === '1') {
      const dist = { ...berthEnv, BERTH_BUNDLE: '0' };
      tools['berth-dist'] = (net) => run(BERTH, ['run', '--rm', ...net, 'busybox', 'true'], dist);
      const off = { ...berthEnv, BERTH_CODE_CACHE: '0' };
      tools['berth-nocache'] = (net) => run(BERTH, ['run', '--rm', ...net, 'busybox', 'true'], off);
    }

    dockerd = await startDockerd(path.join(root, 'docker'));
    run('docker', [...dockerd.args, 'load', '-q', '-i', tar]);
    tools.docker = (net) => run('docker', [...dockerd.args, 'run', '--rm', ...net, 'busybox', 'true']);

    // Rootful podman raises RLIMIT_NOFILE/NPROC to 1048576/4194304 by default; where the host's
    // hard limits are lower and root lacks CAP_SYS_RESOURCE (containers), runc cannot: set them.
    const podman = [
      '--root', path.join(root, 'podman', 'root'), '--runroot', path.join(root, 'podman', 'run'),
      '--cgroup-manager=cgroupfs', '--events-backend=file', '--runtime', 'runc',
    ];
    const podmanRun = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
    if (!hasCommand('podman')) {
      console.log('podman: not installed (apt-get install podman); left out');
    } else {
      try {
        run('podman', [...podman, 'load', '-q', '-i', tar]);
        run('podman', [...podman, 'run', '--rm', ...podmanRun, 'busybox', 'true']);
        tools.podman = (net) => run('podman', [...podman, 'run', '--rm', ...podmanRun, ...net, 'busybox', 'true']);
      } catch (err) {
        console.log(`podman cannot run here, left out: ${err.message.trim().split('\n').pop()}`);
      }
    }

    const rows = { none: ['--network', 'none'], default: [] };
    const times = {};
    for (const row of Object.keys(rows)) for (const t of Object.keys(tools)) times[`${t} ${row}`] = [];
    const names = Object.keys(tools);
    for (const t of names) tools[t](rows.none); // warm the page cache and each daemon
    for (let i = 0; i < RUNS; i++) {
      for (const [row, net] of Object.entries(rows)) {
        for (let k = 0; k < names.length; k++) {
          const t = names[(i + k) % names.length]; // rotate who goes first
          times[`${t} ${row}`].push(timed(() => tools[t](net)));
        }
      }
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    console.log(`run --rm busybox true, median of ${RUNS} (ms)`);
    for (const row of Object.keys(rows)) {
      const cells = names.map((t) => `${t} ${m[`${t} ${row}`].toFixed(0)}`).join(', ');
      const ratios = names.filter((t) => t !== 'berth').map((t) => `berth/${t} ${(m[`berth ${row}`] / m[`${t} ${row}`]).toFixed(2)}`);
      console.log(`  --network ${row === 'none' ? 'none   ' : '(default)'}: ${cells}; ${ratios.join(', ')}`);
    }
    console.log(`goal: berth <= 0.5x podman. load average ${os.loadavg()[0].toFixed(2)}, ${os.cpus().length} cpus`);
    if (process.env.NODE_EXTRA_CA_CERTS) console.log(`note: NODE_EXTRA_CA_CERTS is set: every Node start (berth's) parses ${process.env.NODE_EXTRA_CA_CERTS}`);
  } finally {
    await dockerd?.stop();
    for (const m of mountsUnder(root).sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
