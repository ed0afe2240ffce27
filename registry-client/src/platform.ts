import { PlatformNotFoundError } from './errors';
import type { Descriptor, Platform } from './types';

const ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };

/** The platform this process runs on, in OCI terms (`linux/amd64`). */
export function hostPlatform(): Platform {
  const architecture = ARCH[process.arch] ?? process.arch;
  const p: Platform = { os: process.platform === 'win32' ? 'windows' : process.platform, architecture };
  if (architecture === 'arm64') p.variant = 'v8';
  if (architecture === 'arm') {
    const v = (process.config.variables as { arm_version?: string }).arm_version;
    p.variant = `v${v ?? '7'}`;
  }
  return p;
}

/** `linux/arm64/v8` → a Platform. */
export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new PlatformNotFoundError(s, s, []);
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function normVariant(p: Platform): string {
  if (p.architecture === 'arm64' && (!p.variant || p.variant === 'v8')) return 'v8';
  if (p.architecture === 'arm' && !p.variant) return 'v7';
  return p.variant ?? '';
}

function matches(want: Platform, have: Platform, strictVariant: boolean): boolean {
  if (want.os !== have.os || want.architecture !== have.architecture) return false;
  if (!strictVariant) return true;
  return normVariant(want) === normVariant(have);
}

/**
 * Picks the manifest for a platform from an index. A variant must match when
 * one was asked for (arm64 and arm64/v8 are the same); otherwise the first
 * matching os/arch wins. Attestation manifests (`unknown/unknown`) never match.
 */
export function selectPlatform(ref: string, manifests: readonly Descriptor[], wanted: Platform): Descriptor {
  const candidates = manifests.filter((m) => m.platform && m.platform.os !== 'unknown');
  const strict = wanted.variant !== undefined;
  const found =
    candidates.find((m) => matches(wanted, m.platform as Platform, true)) ??
    (strict ? undefined : candidates.find((m) => matches(wanted, m.platform as Platform, false)));
  if (found) return found;
  throw new PlatformNotFoundError(ref, formatPlatform(wanted), candidates.map((m) => formatPlatform(m.platform as Platform)));
}
