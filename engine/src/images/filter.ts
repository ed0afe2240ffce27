/**
 * `berth images --filter`: `dangling=true|false` and `reference=PATTERN`
 * (a glob over `name` or `name:tag`, `*` not crossing `/`, as Docker's
 * path.Match). Several values of one key are ORed; different keys ANDed.
 */
import { UsageError } from '../cli/berth-command';

export interface FilterSubject {
  dangling: boolean;
  /** Familiar name (`busybox`, `host:5000/app`), if the row has one. */
  name: string | undefined;
  tag: string | undefined;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function imageFilter(filters: readonly string[]): (s: FilterSubject) => boolean {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`bad format of filter (expected name=value): ${f}`);
    const key = f.slice(0, eq).toLowerCase();
    if (key !== 'dangling' && key !== 'reference') throw new UsageError(`invalid filter '${key}'`);
    byKey.set(key, [...(byKey.get(key) ?? []), f.slice(eq + 1)]);
  }
  const dangling = byKey.get('dangling')?.map((v) => {
    if (!['true', 'false', '1', '0'].includes(v.toLowerCase())) throw new UsageError(`invalid filter 'dangling=${v}'`);
    return v === 'true' || v === '1';
  });
  const refs = byKey.get('reference')?.map(globToRegExp);
  return (s) => {
    if (dangling && !dangling.includes(s.dangling)) return false;
    if (refs) {
      if (s.name === undefined) return false;
      const full = s.tag === undefined ? s.name : `${s.name}:${s.tag}`;
      if (!refs.some((r) => r.test(s.name as string) || r.test(full))) return false;
    }
    return true;
  };
}
