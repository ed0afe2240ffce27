import * as os from 'node:os';
import { UsageError } from '../errors';

/** "TERM", "SIGTERM", "15" -> 15; as runc parses kill's SIGNAL. */
export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = (text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`) as keyof typeof os.constants.signals;
    const n = os.constants.signals[name];
    if (n !== undefined) return n;
  }
  throw new UsageError(`unknown signal ${JSON.stringify(text)}`);
}
