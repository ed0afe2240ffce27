import { CgroupConfigError } from './errors';

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration as runc's --interval takes it ("5s", "100ms", "1m30s"), in milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const bad = () => new CgroupConfigError(`${flag}: invalid duration ${JSON.stringify(text)} (e.g. 5s, 500ms, 1m)`);
  if (text === '0') return 0;
  let rest = text;
  let ms = 0;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (m === null) throw bad();
    ms += Number(m[1]) * (UNITS[m[2] as string] as number);
    rest = rest.slice(m[0].length);
  }
  if (text === '') throw bad();
  return ms;
}
