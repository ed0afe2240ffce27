import type { Writable } from 'node:stream';

/** `berth pull`'s options, as clipanion's PullCommand or the hot path (hot.ts) parsed them. */
export interface PullOptions {
  reference: string;
  platform: string | undefined;
  quiet: boolean;
}

/** What `berth pull` needs from its caller: its output and the store root (`--root`). */
export interface PullContext {
  stdout: Writable;
  root: string | undefined;
}

/**
 * `berth pull [--platform P] [-q] REF`, printing what `docker pull` prints. Throws what the pull
 * throws; the caller turns it into Docker's `Error: …` line and exit 1.
 */
export async function executePull(o: PullOptions, ctx: PullContext): Promise<number> {
  // require, not import(): under Node16 + CommonJS import() goes through the ESM loader, and the
  // engine's bundle (scripts/bundle.js compiles each module with vm) has no dynamic-import callback.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parseReference, parseDockerRef } = require('@berth/spec') as typeof import('@berth/spec');
  const { pullIntoStore } = require('../images/pull') as typeof import('../images/pull');
  const { PullProgress } = require('./pull-progress') as typeof import('./pull-progress');
  const { openRegistry, openStore } = require('./context') as typeof import('./context');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const given = parseReference(o.reference);
  const ref = parseDockerRef(o.reference);
  const out = ctx.stdout;
  const print = (line: string): void => void out.write(`${line}\n`);
  if (!o.quiet) {
    if (given.tag === undefined && given.digest === undefined) print('Using default tag: latest');
    print(`${ref.tag ?? ref.digest}: Pulling from ${ref.path}`);
  }
  const store = await openStore({ root: ctx.root });
  const client = await openRegistry();
  const progress = new PullProgress(out, Boolean((out as NodeJS.WriteStream).isTTY));
  try {
    const result = await pullIntoStore(store, client, ref, {
      platform: o.platform,
      listener: o.quiet ? undefined : progress,
    });
    if (!o.quiet) {
      progress.finish(result.updated);
      print(`Digest: ${result.digest}`);
      print(`Status: ${result.updated ? 'Downloaded newer image for' : 'Image is up to date for'} ${ref.familiarString}`);
    }
    print(ref.toString());
    return 0;
  } finally {
    await client.close();
  }
}

/**
 * `berth pull`'s arguments (after `pull`) when they are plain: `-q`/`--quiet`, `--platform P` or
 * `--platform=P` (each at most once) and one reference. Anything else (help, `--`, an unknown
 * flag, a missing value) is undefined: clipanion parses it and reports usage errors as before.
 */
export function parsePullArgs(args: readonly string[]): PullOptions | undefined {
  let reference: string | undefined;
  let platform: string | undefined;
  let quiet = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-q' || a === '--quiet') {
      if (quiet) return undefined;
      quiet = true;
    } else if (a === '--platform' || a.startsWith('--platform=')) {
      if (platform !== undefined) return undefined;
      const value = a === '--platform' ? args[++i] : a.slice('--platform='.length);
      if (value === undefined || value === '' || value.startsWith('-')) return undefined;
      platform = value;
    } else if (a.startsWith('-') || reference !== undefined || a === '') {
      return undefined;
    } else {
      reference = a;
    }
  }
  return reference === undefined ? undefined : { reference, platform, quiet };
}
