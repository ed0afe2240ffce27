/**
 * Docker's pull output. On a terminal, one line per layer redrawn in place
 * (`Downloading [====>   ]  1.2MB/3.4MB`); otherwise one plain line per
 * state change (`<short id>: Pull complete`), no progress bars. Push uses
 * the same lines with its own words (`Preparing`, `Pushed`).
 */
import type { Writable } from 'node:stream';
import { humanSize } from '../format/units';
import type { LayerStatus, PullListener } from '../images/pull';

const WORDS: Record<LayerStatus, string> = {
  pulling: 'Pulling fs layer',
  exists: 'Already exists',
  downloading: 'Downloading',
  verifying: 'Verifying Checksum',
  downloaded: 'Download complete',
  extracting: 'Extracting',
  complete: 'Pull complete',
  preparing: 'Preparing',
  pushing: 'Pushing',
  pushed: 'Pushed',
  'layer-exists': 'Layer already exists',
  mounted: 'Mounted from another repository',
};

const shortId = (digest: string): string => digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);

function bar(done: number, total: number): string {
  if (total <= 0) return ` ${humanSize(done)}`;
  const width = 50;
  const filled = Math.min(width, Math.floor((done / total) * width));
  const body = '='.repeat(filled) + (filled < width ? '>' : '');
  return `[${body.padEnd(width)}] ${humanSize(done).padStart(8)}/${humanSize(total)}`;
}

export class PullProgress implements PullListener {
  private readonly order: string[] = [];
  private readonly lines = new Map<string, string>();
  /** Plain mode: lines held back until something is downloaded (an up-to-date image prints none). */
  private held: string[] | undefined;
  private drawn = 0;
  private lastDraw = 0;

  constructor(
    private readonly out: Writable,
    private readonly tty: boolean,
    holdFirstLines = true,
  ) {
    this.held = holdFirstLines ? [] : undefined;
  }

  layer(digest: string, status: LayerStatus, done: number, total: number): void {
    const id = shortId(digest);
    if (!this.lines.has(id)) this.order.push(id);
    if (this.tty) {
      const progress = status === 'downloading' || status === 'extracting' || status === 'pushing' ? ` ${bar(done, total)}` : '';
      this.lines.set(id, `${id}: ${WORDS[status]}${progress}`);
      if (this.held && (status === 'pulling' || status === 'exists' || status === 'preparing')) return;
      this.held = undefined;
      const now = Date.now();
      if (status !== 'downloading' || now - this.lastDraw > 100) this.redraw(now);
      return;
    }
    if (status === 'downloading' || status === 'extracting' || status === 'pushing') {
      this.lines.set(id, this.lines.get(id) ?? '');
      this.flushHeld();
      return;
    }
    const line = `${id}: ${WORDS[status]}\n`;
    this.lines.set(id, line);
    if (this.held && (status === 'pulling' || status === 'exists' || status === 'preparing')) {
      this.held.push(line);
      return;
    }
    this.flushHeld();
    this.out.write(line);
  }

  /** Ends the layer lines; `updated` false means the image was already there (Docker prints no layer lines). */
  finish(updated: boolean): void {
    if (this.tty) {
      if (updated || !this.held) this.redraw(Date.now());
    } else if (updated) this.flushHeld();
    this.held = undefined;
  }

  private flushHeld(): void {
    if (!this.held) return;
    for (const line of this.held) this.out.write(line);
    this.held = undefined;
  }

  private redraw(now: number): void {
    this.lastDraw = now;
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const id of this.order) text += `\x1b[2K\r${this.lines.get(id) ?? ''}\n`;
    this.drawn = this.order.length;
    this.out.write(text);
  }
}
