/**
 * Docker's seccomp profile format (moby profiles/seccomp: `archMap`, and
 * per entry `includes`/`excludes` on arches, capabilities and minKernel)
 * resolved to the OCI `linux.seccomp` section for one container, as dockerd
 * does it (setupSeccomp): the native arch's entry of the arch map with its
 * sub-architectures, and only the entries whose conditions hold for the
 * host's architecture, its kernel and the container's bounding capabilities.
 */
import * as os from 'node:os';
import type { RuntimeTypes } from '@berth/spec';
import { RunError } from '../errors';

type OciSeccomp = RuntimeTypes.Seccomp;
type OciSyscall = RuntimeTypes.Syscall;

export interface DockerSeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface DockerSeccompSyscall {
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[] | null;
  comment?: string;
  includes?: DockerSeccompFilter;
  excludes?: DockerSeccompFilter;
}

export interface DockerSeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] | null }[];
  syscalls?: DockerSeccompSyscall[] | null;
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
}

/** A profile file that is not Docker's format, or that dockerd would refuse. */
export class SeccompProfileError extends RunError {
  constructor(source: string, message: string) {
    super('ERR_BERTH_RUN_SECCOMP_PROFILE', `seccomp profile ${source}: ${message}`);
  }
}

export interface ResolveOptions {
  /** The container's bounding capabilities (`CAP_...`). */
  caps: readonly string[];
  /** libseccomp's native arch name (moby's goToNative: amd64, arm64, x86, ...); default the host's. */
  arch?: string;
  /** Kernel release, `major.minor...`; default the host's. */
  kernel?: string;
}

/** Node's process.arch → moby's native arch name (goToNative[GOARCH]). */
const NATIVE_OF_NODE: Record<string, string> = {
  x64: 'amd64',
  ia32: 'x86',
  arm64: 'arm64',
  arm: 'arm',
  s390x: 's390x',
  ppc64: 'ppc64le',
  mips: 'mips64',
  mipsel: 'mipsel64',
};

/** moby's nativeToSeccomp. */
const SCMP_OF_NATIVE: Record<string, string> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32',
  mipsle: 'SCMP_ARCH_MIPSEL',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

export function hostNativeArch(): string {
  return NATIVE_OF_NODE[process.arch] ?? process.arch;
}

/** `major.minor` of a kernel release or a profile's minKernel; undefined when it is not one. */
function kernelVersion(text: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function atLeast(kernel: [number, number], min: [number, number]): boolean {
  return kernel[0] > min[0] || (kernel[0] === min[0] && kernel[1] >= min[1]);
}

/** Parses a profile file's text (Docker's JSON format); errors name `source`. */
export function parseSeccompProfile(text: string, source: string): DockerSeccompProfile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SeccompProfileError(source, `decoding failed: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new SeccompProfileError(source, 'not a JSON object');
  const p = doc as Record<string, unknown>;
  if (p['defaultAction'] !== undefined && typeof p['defaultAction'] !== 'string') {
    throw new SeccompProfileError(source, '$.defaultAction: not a string');
  }
  if (p['syscalls'] !== undefined && p['syscalls'] !== null) {
    if (!Array.isArray(p['syscalls'])) throw new SeccompProfileError(source, '$.syscalls: not an array');
    p['syscalls'].forEach((s: unknown, i) => {
      if (typeof s !== 'object' || s === null) throw new SeccompProfileError(source, `$.syscalls[${i}]: not an object`);
      const e = s as Record<string, unknown>;
      if (typeof e['action'] !== 'string') throw new SeccompProfileError(source, `$.syscalls[${i}].action: not a string`);
      if (e['names'] !== undefined && !(Array.isArray(e['names']) && e['names'].every((n) => typeof n === 'string'))) {
        throw new SeccompProfileError(source, `$.syscalls[${i}].names: not an array of strings`);
      }
    });
  }
  return doc as DockerSeccompProfile;
}

/**
 * The OCI section dockerd would hand the runtime for this profile; undefined
 * when the profile disables seccomp (no default action and no syscalls).
 */
export function resolveSeccompProfile(profile: DockerSeccompProfile, source: string, options: ResolveOptions): OciSeccomp | undefined {
  const syscalls = profile.syscalls ?? [];
  if (!profile.defaultAction && syscalls.length === 0) return undefined;
  if ((profile.architectures?.length ?? 0) > 0 && (profile.archMap?.length ?? 0) > 0) {
    throw new SeccompProfileError(source, "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  const arch = options.arch ?? hostNativeArch();
  const kernelText = options.kernel ?? os.release();
  const kernel = kernelVersion(kernelText);
  if (!kernel) throw new SeccompProfileError(source, `cannot read the kernel version ${JSON.stringify(kernelText)}`);
  const minKernel = (text: string, i: number): [number, number] => {
    const v = kernelVersion(text);
    if (!v) throw new SeccompProfileError(source, `$.syscalls[${i}]: invalid minKernel ${JSON.stringify(text)}`);
    return v;
  };
  const caps = new Set(options.caps);

  const out: OciSeccomp = { defaultAction: profile.defaultAction as OciSeccomp['defaultAction'] };
  const architectures = [...(profile.architectures ?? [])];
  const native = SCMP_OF_NATIVE[arch];
  if (native !== undefined) {
    const entry = (profile.archMap ?? []).find((a) => a.architecture === native);
    if (entry) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  }
  if (architectures.length > 0) out.architectures = architectures as OciSeccomp['architectures'];
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags?.length) out.flags = profile.flags as OciSeccomp['flags'];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;

  const kept: OciSyscall[] = [];
  syscalls.forEach((call, i) => {
    const inc = call.includes ?? {};
    const exc = call.excludes ?? {};
    if (exc.arches?.includes(arch)) return;
    if (exc.caps?.some((c) => caps.has(c))) return;
    if (exc.minKernel && atLeast(kernel, minKernel(exc.minKernel, i))) return;
    if (inc.arches?.length && !inc.arches.includes(arch)) return;
    if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) return;
    if (inc.minKernel && !atLeast(kernel, minKernel(inc.minKernel, i))) return;
    if (call.name && call.names?.length) {
      throw new SeccompProfileError(source, `$.syscalls[${i}]: 'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'`);
    }
    const names = call.name ? [call.name] : (call.names ?? []);
    if (names.length === 0) throw new SeccompProfileError(source, `$.syscalls[${i}]: no syscall names`);
    const s: OciSyscall = { names: names as OciSyscall['names'], action: call.action as OciSyscall['action'] };
    if (call.errnoRet !== undefined && call.errnoRet !== null) s.errnoRet = call.errnoRet;
    if (call.args?.length) {
      s.args = call.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op as RuntimeTypes.SeccompOperators }));
    }
    kept.push(s);
  });
  out.syscalls = kept;
  return out;
}
