import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { knobTestMode } from '../../src/cgroups/fs';

/**
 * A temp directory shaped like cgroupfs, with knob writes recorded in order
 * (the cgroup code's test mode: files are truncated on write, as runc's
 * TestMode does).
 */
export class FakeTree {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  static create(): FakeTree {
    knobTestMode.enabled = true;
    knobTestMode.writes = [];
    return new FakeTree(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cg-')));
  }

  /** Writes "kernel" files into a cgroup directory (created if needed). */
  seed(rel: string, files: Record<string, string>): string {
    const dir = path.join(this.root, rel);
    fs.mkdirSync(dir, { recursive: true });
    for (const [f, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), v);
    return dir;
  }

  read(rel: string): string {
    return fs.readFileSync(path.join(this.root, rel), 'utf8');
  }

  /** The writes since the last call, as "relative/path=value". */
  writes(): string[] {
    const out = knobTestMode.writes.map((w) => `${path.relative(this.root, w.path)}=${w.value}`);
    knobTestMode.writes = [];
    return out;
  }

  remove(): void {
    knobTestMode.enabled = false;
    knobTestMode.writes = [];
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
