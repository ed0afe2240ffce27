/** Test helpers: the built `berth` CLI against a temp root and a real registry on loopback. */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeOciIndexLayout, makeOciLayout, type OciLayoutFixture, type OciLayoutOptions } from '@berth/test';

export const ROOT = path.resolve(__dirname, '../..');
export const BIN = path.join(ROOT, 'engine/bin/berth.js');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Compiles the CLI once per test file (the tests spawn it as users do). */
export function buildCli(): void {
  execFileSync('npx', ['tsc', '-b', 'engine'], { cwd: ROOT, stdio: 'inherit' });
}

export function berthSync(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input: options.input,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Asynchronous, so a registry started by the same test process keeps serving. */
export function berth(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...options.env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function rmrf(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Pushes the busybox fixture to `<registry>/<repo>:<tag>` with skopeo, as the tests do. */
export async function seedImage(registry: string, repo: string, tag = 'latest', options: OciLayoutOptions = {}): Promise<OciLayoutFixture> {
  const dir = tempDir('berth-engine-seed-');
  try {
    const fixture = await makeOciLayout(dir, { ...options, tag });
    await new Promise<void>((resolve, reject) => {
      execFile('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${dir}:${tag}`, `docker://${registry}/${repo}:${tag}`], (err) =>
        err ? reject(err) : resolve(),
      );
    });
    return fixture;
  } finally {
    rmrf(dir);
  }
}

/** Pushes a multi-platform busybox (an image index) to `<registry>/<repo>:<tag>`; returns the index digest. */
export async function seedIndex(registry: string, repo: string, platforms: { os: string; architecture: string }[], tag = 'latest'): Promise<string> {
  const dir = tempDir('berth-engine-seed-');
  try {
    const fixture = await makeOciIndexLayout(dir, { platforms, tag });
    await new Promise<void>((resolve, reject) => {
      execFile('skopeo', ['copy', '-q', '--all', '--dest-tls-verify=false', `oci:${dir}:${tag}`, `docker://${registry}/${repo}:${tag}`], (err) =>
        err ? reject(err) : resolve(),
      );
    });
    return fixture.indexDigest;
  } finally {
    rmrf(dir);
  }
}
