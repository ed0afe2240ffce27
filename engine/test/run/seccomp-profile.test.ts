/**
 * Docker's seccomp profile as berth ships it (generated from Debian's copy of
 * moby's default.json, never retyped) and its resolution for a container, as
 * dockerd's setupSeccomp: arch map, includes/excludes on arches, capabilities
 * and minKernel. End-to-end parity with docker run is docker-parity.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DOCKER_DEFAULT_CAPS } from '../../src/run';
import { parseSecurityOpts } from '../../src/run/run';
import { DOCKER_DEFAULT_PROFILE } from '../../src/run/seccomp/docker-default';
import { parseSeccompProfile, resolveSeccompProfile, seccompFor, SeccompProfileError } from '../../src/run/seccomp';
import { rmrf, tempDir } from '../helpers';

const REPO = path.resolve(__dirname, '../../..');
const GENERATED = path.join(REPO, 'engine/src/run/seccomp/docker-default.ts');

it('the committed profile is what the generator makes from the installed moby default.json (no drift)', () => {
  const dir = tempDir('berth-seccomp-gen-');
  try {
    const out = path.join(dir, 'docker-default.ts');
    execFileSync(process.execPath, [path.join(REPO, 'runtime/scripts/seccomp-docker-profile.js'), out], { stdio: 'pipe' });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(GENERATED, 'utf8'));
  } finally {
    rmrf(dir);
  }
});

it("DOCKER_DEFAULT_CAPS is the list moby's DefaultCapabilities() returns (oci/caps/defaults.go in the same package)", () => {
  const go = readFileSync('/usr/share/gocode/src/github.com/docker/docker/oci/caps/defaults.go', 'utf8');
  const list = /DefaultCapabilities\(\) \[\]string \{\s*return \[\]string\{([^}]*)\}/.exec(go);
  expect(list).not.toBeNull();
  expect(DOCKER_DEFAULT_CAPS).toEqual([...(list?.[1] ?? '').matchAll(/"(CAP_[A-Z_]+)"/g)].map((m) => m[1]));
});

it("resolves for amd64 and Docker's capabilities to the OCI section dockerd hands runc (the runtime's fixture)", () => {
  const fixture = JSON.parse(readFileSync(path.join(REPO, 'runtime/test/seccomp/fixtures/docker-default.json'), 'utf8')) as unknown;
  expect(resolveSeccompProfile(DOCKER_DEFAULT_PROFILE, 'default', { caps: DOCKER_DEFAULT_CAPS, arch: 'amd64', kernel: '5.10.0-1-amd64' })).toEqual(fixture);
});

it('includes and excludes: capabilities, arches, minKernel', () => {
  const names = (caps: readonly string[], arch: string, kernel: string): string[] =>
    (resolveSeccompProfile(DOCKER_DEFAULT_PROFILE, 'default', { caps, arch, kernel })?.syscalls ?? []).flatMap((s) => s.names);
  const base = names(DOCKER_DEFAULT_CAPS, 'amd64', '6.1');
  expect(base).not.toContain('mount');
  expect(base).not.toContain('arm_fadvise64_64');
  expect(base).toContain('arch_prctl');
  // CAP_SYS_ADMIN allows mount, unshare, ... and drops the clone flag filter (excludes caps)
  const admin = names([...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN'], 'amd64', '6.1');
  expect(admin).toEqual(expect.arrayContaining(['mount', 'unshare', 'setns']));
  expect(admin.filter((n) => n === 'clone')).toHaveLength(1);
  expect(base.filter((n) => n === 'clone')).toHaveLength(1);
  // arches: arm64 gets arm's calls and its own arch map entry
  const arm = resolveSeccompProfile(DOCKER_DEFAULT_PROFILE, 'default', { caps: DOCKER_DEFAULT_CAPS, arch: 'arm64', kernel: '6.1' });
  expect(arm?.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  expect(arm?.syscalls?.flatMap((s) => s.names)).toContain('arm_fadvise64_64');
  expect(arm?.syscalls?.flatMap((s) => s.names)).not.toContain('arch_prctl');
  // minKernel 4.8 (unprivileged ptrace)
  expect(names(DOCKER_DEFAULT_CAPS, 'amd64', '4.4.0')).not.toContain('ptrace');
  expect(base).toContain('ptrace');
});

it('profile files: errors name the file and the entry; unconfined is no section', () => {
  expect(seccompFor({ kind: 'unconfined' }, DOCKER_DEFAULT_CAPS)).toBeUndefined();
  expect(seccompFor({ kind: 'default' }, DOCKER_DEFAULT_CAPS)?.defaultAction).toBe('SCMP_ACT_ERRNO');
  expect(() => parseSeccompProfile('{', 'p.json')).toThrow(/^seccomp profile p\.json: decoding failed/);
  expect(() => parseSeccompProfile('{"syscalls":[{"names":["x"]}]}', 'p.json')).toThrow('seccomp profile p.json: $.syscalls[0].action: not a string');
  const both = parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ERRNO"}]}', 'p.json');
  expect(() => resolveSeccompProfile(both, 'p.json', { caps: [] })).toThrow(SeccompProfileError);
  const arches = parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}', 'p.json');
  expect(() => resolveSeccompProfile(arches, 'p.json', { caps: [] })).toThrow(/use either 'architectures' or 'archMap'/);
  // no default action and no syscalls: seccomp off, as dockerd
  expect(resolveSeccompProfile(parseSeccompProfile('{}', 'p.json'), 'p.json', { caps: [] })).toBeUndefined();
});

it("--security-opt: seccomp=unconfined|FILE (':' as Docker accepts), anything else refused by name", () => {
  expect(parseSecurityOpts([])).toEqual({ seccomp: { kind: 'default' } });
  expect(parseSecurityOpts(['seccomp=unconfined'])).toEqual({ seccomp: { kind: 'unconfined' } });
  expect(parseSecurityOpts(['seccomp:/p.json'])).toEqual({ seccomp: { kind: 'file', path: '/p.json' } });
  expect(parseSecurityOpts(['seccomp=/a.json', 'seccomp=unconfined'])).toEqual({ seccomp: { kind: 'unconfined' } });
  expect(() => parseSecurityOpts(['no-new-privileges'])).toThrow('--security-opt no-new-privileges is not supported yet');
  expect(() => parseSecurityOpts(['seccomp='])).toThrow('invalid --security-opt: "seccomp="');
  expect(() => parseSecurityOpts(['Bad Opt'])).toThrow('invalid --security-opt: "Bad Opt"');
});
