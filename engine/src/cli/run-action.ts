import type { Writable } from 'node:stream';
import type { RunOptions } from './run-options';

/** Docker's exit status when berth itself fails (bad flag, image not found, pull failed). */
const EXIT_BERTH = 125;

/** What `berth run` needs from its caller: where errors go and the store root (`--root`). */
export interface RunContext {
  stderr: Writable;
  root: string | undefined;
}

/**
 * `berth run` once its command line is parsed (by clipanion's RunCommand or
 * the hot path in main.ts): resolves to the exit status, Docker's.
 */
export async function executeRun(o: RunOptions, ctx: RunContext): Promise<number> {
  const { stderr } = ctx;
  try {
    if (o.detach) throw usage('detached mode (-d) is not supported yet: run in the foreground');
    if (o.network !== 'host' && o.network !== 'none') {
      throw usage(`network ${o.network} is not supported yet: use --network host (the default) or none`);
    }
    if (o.runtime !== 'berth-runtime' && o.runtime !== 'runc') {
      throw usage(`unknown runtime ${JSON.stringify(o.runtime)}: use berth-runtime or runc`);
    }
    // require, not import(): under Node16 + CommonJS import() goes through the ESM loader
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { collectEnv, runContainer } = require('../run') as typeof import('../run');
    const { openStore } = require('./context') as typeof import('./context');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const env = await collectEnv(o.env, o.envFile, process.env);
    const store = await openStore({ root: ctx.root });
    return await runContainer(
      store,
      {
        image: o.image,
        args: o.args,
        env,
        entrypoint: o.entrypoint,
        name: o.name,
        workdir: o.workdir,
        user: o.user,
        hostname: o.hostname,
        readOnly: o.readOnly,
        interactive: o.interactive,
        tty: o.tty,
        remove: o.remove,
        network: o.network,
        runtime: o.runtime,
        platform: o.platform,
        init: o.init,
        securityOpt: o.securityOpt,
      },
      { stderr },
    );
  } catch (err) {
    const e = err as Error & { exitCode?: number; code?: string };
    const status = typeof e.exitCode === 'number' ? e.exitCode : EXIT_BERTH;
    const detail = process.env['BERTH_DEBUG'] ? (e.stack ?? e.message) : e.message;
    // an empty message: the runtime binary printed the error itself
    if (detail !== '') stderr.write(`berth: ${detail}\n`);
    if (e.code === 'ERR_BERTH_RUN_USAGE') stderr.write(`See 'berth run --help'.\n`);
    return status;
  }
}

function usage(message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code: 'ERR_BERTH_RUN_USAGE' });
}
