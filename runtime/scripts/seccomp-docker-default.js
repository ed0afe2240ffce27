#!/usr/bin/env node
'use strict';
// Writes runtime/test/seccomp/fixtures/docker-default.json: moby's default
// seccomp profile resolved to the OCI form that dockerd hands to the runtime
// for `docker run` on amd64 with Docker's default capabilities (what moby's
// profiles/seccomp.setupSeccomp does: arch map -> architectures, entries
// filtered by includes/excludes on arches, caps and minKernel).
// Source: moby profiles/seccomp/default.json as Debian ships it in
// golang-github-docker-docker-dev (no network needed):
//   flock /tmp/berth-apt.lock apt-get install golang-github-docker-docker-dev
const fs = require('node:fs');
const path = require('node:path');

const SOURCE = '/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json';
const OUT = path.join(__dirname, '..', 'test', 'seccomp', 'fixtures', 'docker-default.json');
const GOARCH = 'amd64';
const KERNEL = [5, 10]; // any kernel >= 4.8 gives the same result
// Docker's default capability set, read from moby's oci/caps/defaults.go in the same package
// (engine/src/run/spec.ts's DOCKER_DEFAULT_CAPS is held to that file by a test).
const CAPS = new Set(dockerDefaultCaps(path.join(path.dirname(SOURCE), '..', '..', 'oci', 'caps', 'defaults.go')));
const SCMP_OF_GOARCH = { amd64: 'SCMP_ARCH_X86_64' };

/** The capability names in the list that moby's DefaultCapabilities() returns. */
function dockerDefaultCaps(file) {
  const body = /DefaultCapabilities\(\) \[\]string \{\s*return \[\]string\{([^}]*)\}/.exec(fs.readFileSync(file, 'utf8'));
  if (!body) throw new Error(`${file}: no DefaultCapabilities() list`);
  return [...body[1].matchAll(/"(CAP_[A-Z_]+)"/g)].map((m) => m[1]);
}

function kernelAtLeast(min) {
  const [maj, minor] = min.split('.').map(Number);
  return KERNEL[0] > maj || (KERNEL[0] === maj && KERNEL[1] >= (minor || 0));
}

function main() {
  const profile = JSON.parse(fs.readFileSync(SOURCE, 'utf8'));
  const native = SCMP_OF_GOARCH[GOARCH];
  const architectures = [];
  for (const a of profile.archMap ?? []) {
    if (a.architecture === native) architectures.push(a.architecture, ...a.subArchitectures);
  }
  const syscalls = [];
  for (const s of profile.syscalls) {
    const inc = s.includes ?? {};
    const exc = s.excludes ?? {};
    if (inc.arches && !inc.arches.includes(GOARCH)) continue;
    if (exc.arches && exc.arches.includes(GOARCH)) continue;
    if (inc.caps && !inc.caps.every((c) => CAPS.has(c))) continue;
    if (exc.caps && exc.caps.some((c) => CAPS.has(c))) continue;
    if (inc.minKernel && !kernelAtLeast(inc.minKernel)) continue;
    const out = { names: s.names, action: s.action };
    if (s.args && s.args.length) out.args = s.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }));
    if (s.errnoRet !== undefined) out.errnoRet = s.errnoRet;
    syscalls.push(out);
  }
  const oci = { defaultAction: profile.defaultAction, architectures, syscalls };
  if (profile.defaultErrnoRet !== undefined) oci.defaultErrnoRet = profile.defaultErrnoRet;
  fs.writeFileSync(`${OUT}.tmp`, JSON.stringify(oci, null, 2) + '\n');
  fs.renameSync(`${OUT}.tmp`, OUT);
  console.log(`${OUT}: ${syscalls.length} entries, ${syscalls.reduce((n, s) => n + s.names.length, 0)} names`);
}

main();
