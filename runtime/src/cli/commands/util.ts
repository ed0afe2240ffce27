import { UsageError } from '../../errors';

export function parseFdCount(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 1000) throw new UsageError(`--preserve-fds: invalid value ${JSON.stringify(text)}`);
  return Number(text);
}

/** Go's tabwriter as runc uses it (minwidth 12, padding 3): every column but the last is padded. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(12, ...rows.map((r) => r[c].length + 3)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('') + '\n').join('');
}
