/**
 * Platforms (`linux/arm64/v8`): parsing, normalisation, the host platform,
 * and choosing entries of an image index, with the rules of containerd's
 * platforms package so berth picks the same manifest `ctr`/`docker` would.
 */
import { arch as osArch, endianness } from 'node:os';
import { BerthError } from './errors';

/**
 * The platform object of an OCI descriptor / Docker manifest list entry.
 * (A type alias, not an interface, so it is assignable to the generated
 * OCI types, which carry an index signature.)
 */
export type ImagePlatform = {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
};

export class InvalidPlatformError extends BerthError {
  readonly input: string;

  constructor(input: string, reason: string) {
    super('ERR_BERTH_INVALID_PLATFORM', `invalid platform ${JSON.stringify(input)}: ${reason}`);
    this.input = input;
  }
}

const KNOWN_OS = new Set([
  'aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js',
  'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos',
]);
const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le',
  'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc',
  'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
]);
const COMPONENT = /^[A-Za-z0-9_.-]+$/;

export function normalizeOs(os: string): string {
  const lower = os.toLowerCase();
  return lower === 'macos' ? 'darwin' : lower;
}

/** containerd's normalizeArch: aliases to GOARCH names, default variants. */
export function normalizeArch(architecture: string, variant = ''): { architecture: string; variant: string } {
  let a = architecture.toLowerCase();
  let v = variant.toLowerCase();
  switch (a) {
    case 'i386':
      a = '386';
      v = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      a = 'amd64';
      if (v === 'v1') v = '';
      break;
    case 'aarch64':
    case 'arm64':
      a = 'arm64';
      if (v === '8' || v === 'v8' || v === 'v8.0') v = '';
      else if (v === '9' || v === '9.0' || v === 'v9.0') v = 'v9';
      break;
    case 'armhf':
      a = 'arm';
      v = 'v7';
      break;
    case 'armel':
      a = 'arm';
      v = 'v6';
      break;
    case 'arm':
      if (v === '' || v === '7') v = 'v7';
      else if (v === '5' || v === '6' || v === '8') v = `v${v}`;
      break;
  }
  return { architecture: a, variant: v };
}

/** Normalised copy: lowercase, aliases resolved, `variant` absent when empty. */
export function normalizePlatform(p: ImagePlatform): ImagePlatform {
  const { architecture, variant } = normalizeArch(p.architecture, p.variant);
  return withVariant({ ...p, os: normalizeOs(p.os), architecture }, variant);
}

/** The platform of this machine, as containerd's DefaultSpec reports it. */
export function hostPlatform(): ImagePlatform {
  const map: Record<string, string> = {
    x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', s390x: 's390x',
    riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle',
    ppc64: endianness() === 'LE' ? 'ppc64le' : 'ppc64', ppc: 'ppc',
  };
  const nodeArch = osArch();
  const architecture = map[nodeArch] ?? nodeArch;
  let variant = '';
  if (architecture === 'arm') {
    const armVersion = (process.config.variables as Record<string, unknown>)['arm_version'];
    variant = typeof armVersion === 'string' || typeof armVersion === 'number' ? `v${armVersion}` : 'v7';
  }
  return withVariant({ os: process.platform === 'win32' ? 'windows' : process.platform, architecture }, variant);
}

/**
 * Parses `os[/arch[/variant]]`, or a lone OS or architecture completed from
 * the host, as containerd's platforms.Parse does. `linux/arm64/v8` keeps its
 * variant; `linux/arm` becomes arm without the default v7, as containerd
 * prints it.
 */
export function parsePlatform(specifier: string): ImagePlatform {
  if (specifier.includes('*')) {
    throw new InvalidPlatformError(specifier, 'wildcards are not supported');
  }
  const parts = specifier.split('/');
  for (const part of parts) {
    if (!COMPONENT.test(part)) {
      throw new InvalidPlatformError(specifier, `"${part}" must be letters, digits, "_", "." or "-"`);
    }
  }
  const os = normalizeOs(parts[0] as string);
  switch (parts.length) {
    case 1: {
      const host = hostPlatform();
      if (KNOWN_OS.has(os)) return { ...host, os };
      const { architecture, variant } = normalizeArch(parts[0] as string);
      if (KNOWN_ARCH.has(architecture)) return withVariant({ os: host.os, architecture }, variant);
      throw new InvalidPlatformError(specifier, 'unknown operating system or architecture');
    }
    case 2: {
      const { architecture, variant } = normalizeArch(parts[1] as string);
      return withVariant({ os, architecture }, architecture === 'arm' && variant === 'v7' ? '' : variant);
    }
    case 3: {
      const { architecture, variant } = normalizeArch(parts[1] as string, parts[2] as string);
      return withVariant({ os, architecture }, architecture === 'arm64' && variant === '' ? 'v8' : variant);
    }
    default:
      throw new InvalidPlatformError(specifier, 'expected os[/architecture[/variant]]');
  }
}

/** `linux/arm64/v8`, `linux/amd64`. */
export function formatPlatform(p: ImagePlatform): string {
  const os = p.os === '' ? 'unknown' : p.os;
  return [os, p.architecture, p.variant].filter((s) => s !== undefined && s !== '').join('/');
}

/**
 * The platforms an image may have to run on `wanted`, best first
 * (containerd's platformVector): amd64/v3 also runs v2, v1 and 386; arm v7
 * runs v6 and v5; arm64 runs 32-bit arm v8 down to v5.
 */
export function compatiblePlatforms(wanted: ImagePlatform): ImagePlatform[] {
  const p = normalizePlatform(wanted);
  const base = { os: p.os };
  const out: ImagePlatform[] = [p];
  const version = (v: string | undefined): number => (v && /^v\d+$/.test(v) ? Number(v.slice(1)) : NaN);
  switch (p.architecture) {
    case 'amd64': {
      for (let n = version(p.variant) - 1; n >= 1; n--) {
        out.push(withVariant({ ...base, architecture: 'amd64' }, n === 1 ? '' : `v${n}`));
      }
      out.push({ ...base, architecture: '386' });
      break;
    }
    case 'arm':
      for (let n = version(p.variant) - 1; n >= 5; n--) out.push({ ...base, architecture: 'arm', variant: `v${n}` });
      break;
    case 'arm64': {
      const armVariant = p.variant ?? 'v8';
      out.push({ ...base, architecture: 'arm', variant: armVariant });
      for (let n = version(armVariant) - 1; n >= 5; n--) out.push({ ...base, architecture: 'arm', variant: `v${n}` });
      break;
    }
  }
  return out;
}

/** Whether two platforms are the same after normalisation (os, architecture, variant). */
export function samePlatform(a: ImagePlatform, b: ImagePlatform): boolean {
  const x = normalizePlatform(a);
  const y = normalizePlatform(b);
  return x.os === y.os && x.architecture === y.architecture && (x.variant ?? '') === (y.variant ?? '');
}

/** A matcher for one wanted platform: `match` says whether an entry can run, `rank` orders (lower is better). */
export class PlatformMatcher {
  private readonly vector: readonly ImagePlatform[];

  constructor(wanted: ImagePlatform = hostPlatform()) {
    this.vector = compatiblePlatforms(wanted);
  }

  match(p: ImagePlatform): boolean {
    return this.rank(p) !== -1;
  }

  /** Position in the preference order, -1 when the platform cannot run. */
  rank(p: ImagePlatform): number {
    return this.vector.findIndex((v) => samePlatform(v, p));
  }
}

/**
 * The index entries usable on `wanted`, best first, as containerd selects
 * children of an index: entries without a platform are kept, after the
 * matching ones; the sort is stable, so equal entries keep index order.
 */
export function selectPlatformEntries<T extends { readonly platform?: ImagePlatform | null }>(
  entries: readonly T[],
  wanted: ImagePlatform = hostPlatform(),
): T[] {
  const matcher = new PlatformMatcher(wanted);
  const ranked = entries
    .map((entry, i) => ({ entry, i, rank: entry.platform ? matcher.rank(entry.platform) : Number.MAX_SAFE_INTEGER }))
    .filter((e) => e.rank !== -1);
  ranked.sort((a, b) => a.rank - b.rank || a.i - b.i);
  return ranked.map((e) => e.entry);
}

function withVariant(p: ImagePlatform, variant: string): ImagePlatform {
  const out: ImagePlatform = { ...p };
  if (variant === '') delete out.variant;
  else out.variant = variant;
  return out;
}
