/** Shared set-up of the `berth run` tests: a loopback registry serving busybox as docker.io's mirror, a store root per file. */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { umount2, MNT } from '@berth/sys';
import { startRegistry, type TestRegistry } from '../../../registry-client/test/helpers/registry';
import { berth, buildCli, rmrf, seedImage, tempDir, type Result } from '../helpers';

export interface RunFixture {
  registry: TestRegistry;
  root: string;
  env: NodeJS.ProcessEnv;
  b(args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<Result>;
}

/** Builds the CLI, starts the registry with busybox pushed as library/busybox, makes an empty root. */
export async function setUp(): Promise<RunFixture> {
  buildCli();
  const registry = await startRegistry();
  await seedImage(registry.host, 'library/busybox');
  const root = tempDir('berth-run-root-');
  const env = { BERTH_REGISTRY_MIRRORS: `http://${registry.host}`, BERTH_ROOT: root };
  return {
    registry,
    root,
    env,
    b: (args, options = {}) => berth(args, { input: options.input, env: { ...env, ...options.env } }),
  };
}

/** Mount points under `dir`, from /proc/self/mountinfo. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)));
}

/** Entries of a directory, none if it does not exist. */
export function entries(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
}

export async function tearDown(f: RunFixture | undefined): Promise<void> {
  if (!f) return;
  await f.registry.stop();
  // a failed test may leave a container running (its pid in the runtime state) and a mount
  for (const id of entries(path.join(f.root, 'runtime')).filter((n) => /^[0-9a-f]{64}$/.test(n))) {
    try {
      const { pid } = JSON.parse(readFileSync(path.join(f.root, 'runtime', id, 'state.json'), 'utf8')) as { pid: number };
      process.kill(pid, 'SIGKILL');
    } catch {
      // no state, or gone
    }
  }
  for (const m of mountsUnder(f.root).reverse()) umount2(m, MNT.DETACH);
  rmrf(f.root);
}

export const containersOf = (f: RunFixture): string[] => entries(path.join(f.root, 'containers'));
