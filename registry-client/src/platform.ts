import { formatPlatform, hostPlatform, parsePlatform, selectPlatformEntries, type ImagePlatform } from '@berth/spec';
import { PlatformNotFoundError } from './errors';
import type { Descriptor } from './types';

/**
 * Picks the manifest for a platform from an index, as containerd does (best
 * compatible match first). Entries without a platform and attestation
 * manifests (`unknown/unknown`) are never picked; when nothing matches the
 * error lists what the index offers.
 */
export function selectPlatform(
  ref: string,
  manifests: readonly Descriptor[],
  wanted: ImagePlatform | string = hostPlatform(),
): Descriptor {
  const want = typeof wanted === 'string' ? parsePlatform(wanted) : wanted;
  const candidates = manifests.filter((m) => m.platform && m.platform.os !== 'unknown');
  const [best] = selectPlatformEntries(candidates, want);
  if (best) return best;
  throw new PlatformNotFoundError(ref, formatPlatform(want), candidates.map((m) => formatPlatform(m.platform as ImagePlatform)));
}
