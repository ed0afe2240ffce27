/** Sizes and durations worded as Docker's go-units prints them. */

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Go's `%.<p>g`: p significant digits, trailing zeros dropped. */
export function goG(value: number, precision: number): string {
  if (value === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(precision)))));
  if (exp < -4 || exp >= precision) {
    const [mant, e] = value.toExponential(precision - 1).split('e');
    const m = mant.includes('.') ? mant.replace(/\.?0+$/, '') : mant;
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const fixed = value.toFixed(Math.max(0, precision - 1 - exp));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** `units.HumanSizeWithPrecision`: 1000-based, `4.26MB`. */
export function humanSize(size: number, precision = 4): string {
  let i = 0;
  let s = size;
  while (s >= 1000 && i < DECIMAL.length - 1) {
    s /= 1000;
    i++;
  }
  return `${goG(s, precision)}${DECIMAL[i]}`;
}

/** `units.HumanDuration`: `Less than a second`, `About a minute`, `3 days`. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}

/** Docker's CREATED column: `5 minutes ago`, or `N/A` without a date. */
export function createdAgo(created: string | undefined, now = Date.now()): string {
  const t = created ? Date.parse(created) : NaN;
  if (Number.isNaN(t) || t <= 0) return 'N/A';
  return `${humanDuration(now - t)} ago`;
}
