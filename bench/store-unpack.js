// Unpack speed: a generated ~100 MB, 5-layer gzip image unpacked by berth
// (Store.unpackImage: snapshots in overlay form, diff IDs checked), by
// `umoci unpack`, and by GNU tar (one `tar -xzf` per layer, no whiteout
// handling: a floor, not a competitor). Median of RUNS (default 3).
//
//   node bench/store-unpack.js [DIR]      (DIR: where to work, default the OS temp dir)
// STORE_IMAGE=pull unpacks the shape bench/pull.js pulls instead: 5 layers of 40 random
// 512 KiB files, gzip -1 (mostly stored blocks: the inflate is cheap, the writes are not).
// STORE_BASELINE=OTHER_TREE (built) adds that tree's store/dist as "baseline", alternated with
// this tree's store in the same run, for an A/B; CPU time and minor faults are printed for both.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const { execFileSync } = require('node:child_process');
const { Store, encodeHeader, tarPadding, tarTrailer } = require('../store/test/helpers/register.js');

const RUNS = Number(process.env.RUNS ?? 3);
const work = fs.mkdtempSync(path.join(process.argv[2] ?? os.tmpdir(), 'berth-bench-unpack-'));

// half random, half text-like: gzip gets about 2:1, like real binaries
function content(size, seed) {
  const rnd = crypto.createHash('sha512').update(String(seed)).digest();
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += 64) {
    if ((i / 64) % 2) crypto.randomFillSync(out, i, Math.min(64, size - i));
    else rnd.copy(out, i, 0, Math.min(64, size - i));
  }
  return out;
}

function layer(files) {
  const parts = [];
  const dirs = new Set();
  for (const [name, data] of files) {
    const dir = path.posix.dirname(name);
    if (dir !== '.' && !dirs.has(dir)) {
      dirs.add(dir);
      parts.push(encodeHeader({ name: dir, type: 'dir', mode: 0o755 }));
    }
    parts.push(encodeHeader({ name, type: 'file', size: data.length, mode: 0o644, mtime: 1_700_000_000 }), data, tarPadding(data.length));
  }
  parts.push(tarTrailer());
  return Buffer.concat(parts);
}

const PULL_SHAPE = process.env.STORE_IMAGE === 'pull';
const layers = PULL_SHAPE
  ? Array.from({ length: 5 }, (_, i) => layer(Array.from({ length: 40 }, (_, f) => [`layer${i}/file${f}.bin`, crypto.randomBytes(512 << 10)])))
  : [
      layer(Array.from({ length: 4000 }, (_, i) => [`usr/lib/d${i % 40}/f${i}`, content(2_000 + (i % 7) * 1_500, i)])),
      layer(Array.from({ length: 3 }, (_, i) => [`opt/big/blob${i}`, content(10_000_000, `big${i}`)])),
      layer(Array.from({ length: 2000 }, (_, i) => [`usr/share/d${i % 20}/g${i}`, content(6_000, `g${i}`)])),
      layer(Array.from({ length: 400 }, (_, i) => [`app/node_modules/m${i % 30}/index${i}.js`, content(12_000, `m${i}`)])),
      layer([['etc/config', content(1000, 'c')]]),
    ];
const digest = (b) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
const blobs = new Map();
const descs = layers.map((tar) => {
  const gz = zlib.gzipSync(tar, { level: PULL_SHAPE ? 1 : 6 });
  blobs.set(digest(gz), gz);
  return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest(gz), size: gz.length };
});
const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(digest) } }));
blobs.set(digest(config), config);
const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest(config), size: config.length },
    layers: descs,
  }),
);
blobs.set(digest(manifest), manifest);
const layout = path.join(work, 'layout');
fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
for (const [d, b] of blobs) fs.writeFileSync(path.join(layout, 'blobs', 'sha256', d.slice(7)), b);
fs.writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
fs.writeFileSync(
  path.join(layout, 'index.json'),
  JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }],
  }),
);
const mb = (n) => (n / 1e6).toFixed(0);
console.log(`image: ${layers.length} layers, ${mb(layers.reduce((n, l) => n + l.length, 0))} MB unpacked, ${mb(descs.reduce((n, d) => n + d.size, 0))} MB gzip`);

async function time(fn) {
  execFileSync('sync');
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// With a baseline both sides run compiled code (this tree's store/dist: build first), not swc's.
const Baseline = process.env.STORE_BASELINE ? require(path.resolve(process.env.STORE_BASELINE, 'store', 'dist', 'index.js')).Store : undefined;
const Current = Baseline ? require('../store/dist/index.js').Store : Store;
const faults = () => Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);

/** Wall time into results[key], CPU ms and minor faults into cost[key]. */
async function unpackWith(StoreClass, key, run, results, cost) {
  const root = path.join(work, `${key}-${run}`);
  const store = new StoreClass({ root });
  for (const [d, b] of blobs) await store.content.writeBytes(b, { digest: d });
  const c0 = process.cpuUsage();
  const f0 = faults();
  results[key].push(await time(() => store.unpackImage(digest(manifest))));
  const c = process.cpuUsage(c0);
  cost[key].push([(c.user + c.system) / 1e3, faults() - f0]);
  fs.rmSync(root, { recursive: true, force: true });
}

(async () => {
  const results = { berth: [], ...(Baseline ? { baseline: [] } : {}), umoci: [], tar: [] };
  const cost = { berth: [], baseline: [] };
  for (let run = 0; run < RUNS; run++) {
    const ways = Baseline ? [[Current, 'berth'], [Baseline, 'baseline']] : [[Store, 'berth']];
    if (run % 2) ways.reverse();
    for (const [S, key] of ways) await unpackWith(S, key, run, results, cost);
    results.umoci.push(await time(() => execFileSync('umoci', ['unpack', '--image', `${layout}:bench`, path.join(work, `bundle-${run}`)])));
    const dest = path.join(work, `tar-${run}`);
    fs.mkdirSync(dest);
    results.tar.push(
      await time(() => {
        for (const d of descs) execFileSync('tar', ['-xzf', path.join(layout, 'blobs', 'sha256', d.digest.slice(7)), '-C', dest]);
      }),
    );
    for (const p of [path.join(work, `bundle-${run}`), dest]) fs.rmSync(p, { recursive: true, force: true });
  }
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(8)} median ${median(v).toFixed(0)} ms  (runs: ${v.map((x) => x.toFixed(0)).join(', ')})`);
  for (const [k, v] of Object.entries(cost)) {
    if (v.length) console.log(`${k.padEnd(8)} CPU median ${median(v.map((x) => x[0])).toFixed(0)} ms, minor faults median ${median(v.map((x) => x[1]))}`);
  }
  console.log(`load average ${os.loadavg()[0].toFixed(2)}`);
  fs.rmSync(work, { recursive: true, force: true });
})();
