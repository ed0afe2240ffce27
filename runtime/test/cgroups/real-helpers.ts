import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CgroupLayout } from '../../src/cgroups';

/*
 * Helpers for the suites that run against the host's real cgroups (as root).
 */

/** A parent cgroup name no other run uses; every test cgroup goes below it. */
export function testParent(): string {
  return `/berth-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A shell that waits for a line on stdin before running `script`, so the
 * test can move it into a cgroup before it does anything.
 */
export function gatedShell(script: string): { child: ChildProcess; pid: number; go: () => void; output: () => string } {
  const child = spawn('sh', ['-c', `read _go; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  if (child.pid === undefined) throw new Error('spawn sh failed');
  return { child, pid: child.pid, go: () => child.stdin?.write('go\n'), output: () => out };
}

export async function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal };
}

/** The one-letter state in /proc/<pid>/status ("S", "R", "D" — a frozen task shows D). */
export function procState(pid: number): string {
  const m = /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ?? '?';
}

/** /proc/<pid>/cgroup as controller-list -> path. */
export function procCgroups(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m !== null) out.set(m[1] as string, m[2] as string);
  }
  return out;
}

/** Every directory named like `parent` left in any hierarchy (should be none after cleanup). */
export function leftovers(layout: CgroupLayout, parent: string): string[] {
  const mounts = new Set([...layout.v1.values(), ...(layout.unified === undefined ? [] : [layout.unified])]);
  return [...mounts].map((m) => path.join(m, parent)).filter((d) => fs.existsSync(d));
}

/** Removes the test parent cgroup from every hierarchy, children first. */
export function removeParent(layout: CgroupLayout, parent: string): void {
  const rm = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rm(path.join(d, e.name));
    fs.rmdirSync(d);
  };
  for (const d of leftovers(layout, parent)) rm(d);
}

export const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8').trim();

/** Resolves once the shell has printed `text`. */
export function printed(sh: ReturnType<typeof gatedShell>, text: string): Promise<void> {
  return new Promise<void>((resolve) => {
    if (sh.output().includes(text)) return resolve();
    sh.child.stdout?.on('data', () => sh.output().includes(text) && resolve());
  });
}
