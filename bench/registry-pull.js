#!/usr/bin/env node
'use strict';
// Pushes and pulls a ~100 MB image of 5 random layers with berth's registry
// client and with skopeo, against loopback docker-registry instances, and
// prints the times and ratios. Each run starts fresh registries on new ports
// for each tool, so neither reuses blobs from an earlier run (skopeo's blob
// cache would otherwise mount them instead of uploading).
// Build first: `npx tsc -b registry-client`. Needs docker-registry and skopeo.
//   node bench/registry-pull.js [runs=3] [layerMiB=20]
// BENCH_VERBOSE=1 prints every run; BENCH_HASH=on|off|auto picks where berth
// hashes pulled blobs (the client's hashOffThread; default auto).
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const RUNS = Number(process.argv[2] ?? 3);
const LAYER_MIB = Number(process.argv[3] ?? 20);

const rc = require('../registry-client/dist');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startRegistry(root) {
  const port = await freePort();
  const config = path.join(root, `registry-${port}.yml`);
  fs.writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${root}/storage-${port}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  for (let i = 0; i < 500; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return { host: `127.0.0.1:${port}`, child };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('docker-registry did not start');
}

/** A ustar header + body for one file of random bytes: an uncompressed layer. */
function randomLayer(name, size) {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(size.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = (512 - (size % 512)) % 512;
  return Buffer.concat([header, crypto.randomBytes(size), Buffer.alloc(pad + 1024)]);
}

async function makeLayout(dir) {
  const layout = await rc.OciLayout.open(dir, { create: true });
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < 5; i++) {
    const tar = randomLayer(`layer${i}.bin`, LAYER_MIB << 20);
    const digest = rc.sha256(tar);
    await layout.putBlob(tar, digest);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: tar.length });
    diffIds.push(digest);
  }
  const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: diffIds } }));
  await layout.putBlob(config, rc.sha256(config));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: rc.sha256(config), size: config.length },
      layers,
    }),
  );
  await layout.putBlob(manifest, rc.sha256(manifest));
  await layout.addManifest({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: rc.sha256(manifest), size: manifest.length }, 'v1');
  return layers.reduce((n, l) => n + l.size, 0);
}

const VERBOSE = Boolean(process.env.BENCH_VERBOSE);
/** Minor page faults of this process so far (a first touch of fresh memory is one). */
function minorFaults() {
  return Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);
}

/** Wall seconds of `fn`; with BENCH_VERBOSE, also this process's CPU and page faults meanwhile. */
async function time(fn, label) {
  const cpu = process.cpuUsage();
  const faults = VERBOSE ? minorFaults() : 0;
  const start = process.hrtime.bigint();
  await fn();
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  if (VERBOSE && label) {
    const used = process.cpuUsage(cpu);
    console.log(`  ${label}: ${secs.toFixed(3)} s, cpu user ${(used.user / 1e6).toFixed(3)} sys ${(used.system / 1e6).toFixed(3)} s, minor faults ${minorFaults() - faults}`);
  }
  return secs;
}

/** Runs skopeo; with BENCH_VERBOSE, under /usr/bin/time to print its CPU and page faults. */
function skopeo(label, args) {
  if (!VERBOSE) return void execFileSync('skopeo', args);
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %R', 'skopeo', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')}: ${r.stderr}`);
  const [user, sys, faults] = r.stderr.trim().split('\n').pop().split(' ');
  console.log(`  ${label}: cpu user ${user} sys ${sys} s, minor faults ${faults}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  const regs = [];
  try {
    const src = path.join(root, 'src');
    const bytes = await makeLayout(src);
    const times = { skopeoPush: [], berthPush: [], skopeoPull: [], berthPull: [] };
    for (let run = 0; run < RUNS; run++) {
      const repo = `bench/run${run}`;
      const sk = await startRegistry(root);
      const be = await startRegistry(root);
      regs.push(sk, be);
      times.skopeoPush.push(
        await time(async () =>
          skopeo('skopeo push', ['copy', '-q', '--dest-tls-verify=false', `oci:${src}:v1`, `docker://${sk.host}/${repo}:v1`]),
        ),
      );
      const client = new rc.RegistryClient();
      times.berthPush.push(await time(() => rc.pushFromLayout(client, src, `${be.host}/${repo}:v1`, { refName: 'v1' }), 'berth push'));
      times.skopeoPull.push(
        await time(async () =>
          skopeo('skopeo pull', ['copy', '-q', '--src-tls-verify=false', `docker://${sk.host}/${repo}:v1`, `oci:${root}/sk-pull-${run}:v1`]),
        ),
      );
      const hash = process.env.BENCH_HASH ?? 'auto';
      const puller = new rc.RegistryClient({ hashOffThread: hash === 'auto' ? 'auto' : hash === 'on' });
      times.berthPull.push(await time(() => rc.pullToLayout(puller, `${be.host}/${repo}:v1`, path.join(root, `be-pull-${run}`)), 'berth pull'));
      await client.close();
      await puller.close();
      if (VERBOSE) {
        const t = (k) => times[k][run].toFixed(3);
        console.log(`run ${run}: push berth ${t('berthPush')} skopeo ${t('skopeoPush')}; pull berth ${t('berthPull')} skopeo ${t('skopeoPull')}`);
      }
      fs.rmSync(path.join(root, `sk-pull-${run}`), { recursive: true, force: true });
      fs.rmSync(path.join(root, `be-pull-${run}`), { recursive: true, force: true });
      for (const r of [sk, be]) r.child.kill();
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    const mib = (bytes / 1048576).toFixed(0);
    console.log(`image: 5 layers, ${mib} MiB; median of ${RUNS} runs`);
    console.log(`push: berth ${m.berthPush.toFixed(3)} s, skopeo ${m.skopeoPush.toFixed(3)} s, ratio ${(m.berthPush / m.skopeoPush).toFixed(2)}`);
    console.log(`pull: berth ${m.berthPull.toFixed(3)} s, skopeo ${m.skopeoPull.toFixed(3)} s, ratio ${(m.berthPull / m.skopeoPull).toFixed(2)}`);
  } finally {
    for (const r of regs) r.child.kill();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
