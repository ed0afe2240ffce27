#!/usr/bin/env node
'use strict';
// Pull + unpack of a ~100 MB image of 5 random gzip layers from a loopback
// docker-registry, three ways in the same run, interleaved:
//   berth pull            into a fresh BERTH_ROOT (it unpacks each layer into its snapshot)
//   skopeo copy + umoci   docker://… → oci:… then `umoci unpack` into a bundle
//   docker pull           by a private dockerd (own socket, data root, exec root)
// Prints the medians and the ratios. Build first: `npx tsc -b engine`.
// Needs docker-registry, skopeo, umoci, dockerd (root).
//   node bench/pull.js [runs=3] [layerMiB=20]
// BERTH_BASELINE=OTHER_TREE/engine/bin/berth.js adds a fourth way, another build of berth
// (say, the commit before a change, built in its own tree), for an A/B within one run.
// BENCH_ONLY=berth,baseline runs only those ways; BENCH_RUSAGE=1 also prints each berth's
// median CPU (user + sys) and minor faults (through /usr/bin/time).
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { startDockerd } = require('./lib/dockerd');
const { startRegistry } = require('./lib/registry');

const RUNS = Number(process.argv[2] ?? 3);
const LAYER_MIB = Number(process.argv[3] ?? 20);
const FILES_PER_LAYER = 40;
const BERTH = path.resolve(__dirname, '..', 'engine', 'bin', 'berth.js');
const BASELINE = process.env.BERTH_BASELINE;
const only = process.env.BENCH_ONLY?.split(',');

/** One ustar entry (header + padded body). */
function tarEntry(name, body, type = '0') {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write(type === '5' ? '0000755\0' : '0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write('14000000000\0', 136);
  header.write('        ', 148);
  header.write(type, 156);
  header.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return [header, body, Buffer.alloc((512 - (body.length % 512)) % 512)];
}

/** A layer of FILES_PER_LAYER random files under its own directory, as tar. */
function randomLayer(i) {
  const size = Math.floor((LAYER_MIB << 20) / FILES_PER_LAYER);
  const parts = [...tarEntry(`layer${i}/`, Buffer.alloc(0), '5')];
  for (let f = 0; f < FILES_PER_LAYER; f++) parts.push(...tarEntry(`layer${i}/file${f}.bin`, crypto.randomBytes(size)));
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha256 = (b) => 'sha256:' + crypto.createHash('sha256').update(b).digest('hex');

/** Writes an OCI layout with one tagged image (`v1`); returns its compressed size. */
function makeLayout(dir) {
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (b) => {
    const d = sha256(b);
    fs.writeFileSync(path.join(blobs, d.slice(7)), b);
    return { digest: d, size: b.length };
  };
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < 5; i++) {
    const tar = randomLayer(i);
    diffIds.push(sha256(tar));
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(zlib.gzipSync(tar, { level: 1 })) });
  }
  const config = { os: 'linux', architecture: 'amd64', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } };
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(Buffer.from(JSON.stringify(config))) },
    layers,
  };
  const m = put(Buffer.from(JSON.stringify(manifest)));
  const index = {
    schemaVersion: 2,
    manifests: [{ mediaType: manifest.mediaType, ...m, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }],
  };
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
  fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return layers.reduce((n, l) => n + l.size, 0);
}

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

function timed(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-pull-'));
  let registry;
  let dockerd;
  try {
    const bytes = makeLayout(path.join(root, 'src'));
    registry = await startRegistry(path.join(root, 'registry'));
    const ref = `${registry.host}/bench/pull:v1`;
    run('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${path.join(root, 'src')}:v1`, `docker://${ref}`]);
    fs.rmSync(path.join(root, 'src'), { recursive: true });
    if (!only || only.includes('docker')) dockerd = await startDockerd(path.join(root, 'docker'));

    const times = { berth: [], skopeo: [], umoci: [], docker: [], ...(BASELINE ? { baseline: [] } : {}) };
    const usage = {};
    const berthPull = (bin, key, i) => {
      const store = path.join(root, `${key}-${i}`);
      const env = { ...process.env, BERTH_ROOT: store };
      if (process.env.BENCH_RUSAGE) {
        const out = path.join(root, 'rusage');
        times[key].push(timed(() => run('/usr/bin/time', ['-f', '%U %S %R', '-o', out, bin, 'pull', '-q', ref], env)));
        const [user, sys, faults] = fs.readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number);
        (usage[key] ??= []).push({ cpu: user + sys, faults });
      } else {
        times[key].push(timed(() => run(bin, ['pull', '-q', ref], env)));
      }
      // The pull must have unpacked every layer into its snapshot (else the figure is a download only).
      const snaps = fs.readdirSync(path.join(store, 'snapshots')).filter((n) => !n.startsWith('.'));
      if (snaps.length !== 5) throw new Error(`${bin} pull left ${snaps.length} snapshots, expected 5`);
      fs.rmSync(store, { recursive: true, force: true });
    };
    const ways = {
      berth: (i) => berthPull(BERTH, 'berth', i),
      ...(BASELINE ? { baseline: (i) => berthPull(BASELINE, 'baseline', i) } : {}),
      skopeo(i) {
        const layout = path.join(root, `oci-${i}`);
        const bundle = path.join(root, `bundle-${i}`);
        times.skopeo.push(timed(() => run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:v1`])));
        times.umoci.push(timed(() => run('umoci', ['unpack', '--image', `${layout}:v1`, bundle])));
        fs.rmSync(layout, { recursive: true, force: true });
        fs.rmSync(bundle, { recursive: true, force: true });
      },
      docker() {
        times.docker.push(timed(() => run('docker', [...dockerd.args, 'pull', '-q', ref])));
        run('docker', [...dockerd.args, 'rmi', ref]);
      },
    };
    const order = Object.keys(ways).filter((k) => !only || only.includes(k));
    for (let i = 0; i < RUNS; i++) {
      // Rotate the order so no tool always runs first; flush the disk before each (untimed), so
      // berth's syncfs per layer never waits on the writeback of what another tool just wrote.
      for (let k = 0; k < order.length; k++) {
        run('sync', []);
        ways[order[(i + k) % order.length]](i);
      }
      if (process.env.BENCH_VERBOSE) {
        console.log(`run ${i}: ${order.map((k) => `${k} ${times[k][i].toFixed(2)}`).join(', ')}`);
      }
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    // paired: each run's berth time over the same run's docker (and baseline) time
    const paired = (a, b) => median(times[a].map((t, i) => t / times[b][i])).toFixed(2);
    const su = median(times.skopeo.map((s, i) => s + times.umoci[i]));
    console.log(`image: 5 gzip layers of ${FILES_PER_LAYER} random files, ${(bytes / 1048576).toFixed(0)} MiB; median of ${RUNS} runs`);
    for (const [k, u] of Object.entries(usage)) {
      console.log(`${k}: CPU ${median(u.map((x) => x.cpu)).toFixed(2)} s, minor faults ${median(u.map((x) => x.faults))} (medians)`);
    }
    if (only) {
      for (const k of order) console.log(`${k} ${m[k].toFixed(2)} s`);
      if (BASELINE && order.includes('baseline') && order.includes('berth')) console.log(`berth/baseline paired ${paired('berth', 'baseline')}`);
      console.log(`load average ${os.loadavg()[0].toFixed(2)}, ${os.cpus().length} cpus`);
      return;
    }
    console.log(`berth pull            ${m.berth.toFixed(2)} s (download, verify, unpack into snapshots)`);
    console.log(`skopeo copy + umoci   ${su.toFixed(2)} s (copy ${m.skopeo.toFixed(2)}, unpack ${m.umoci.toFixed(2)})`);
    console.log(`docker pull           ${m.docker.toFixed(2)} s (dockerd ${run('dockerd', ['--version']).trim().replace(/^Docker version /, '')})`);
    if (BASELINE) console.log(`baseline berth pull   ${m.baseline.toFixed(2)} s (${BASELINE}); berth/baseline ${(m.berth / m.baseline).toFixed(2)}, paired ${paired('berth', 'baseline')}`);
    console.log(`ratio berth/docker    ${(m.berth / m.docker).toFixed(2)}  (goal <= 0.7; paired per run ${paired('berth', 'docker')})`);
    console.log(`ratio berth/skopeo+umoci ${(m.berth / su).toFixed(2)}`);
    console.log(`load average ${os.loadavg()[0].toFixed(2)}, ${os.cpus().length} cpus`);
  } finally {
    await dockerd?.stop();
    await registry?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
