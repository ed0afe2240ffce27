import { Command, Option } from 'clipanion';
import type { BerthContext } from '../context';

/** Docker's exit status when berth itself fails (bad flag, image not found, pull failed). */
const EXIT_BERTH = 125;

/**
 * `berth run [OPTIONS] IMAGE [COMMAND] [ARG...]` in the foreground. Options
 * stop at IMAGE: what follows is the container's command line.
 */
export class RunCommand extends Command<BerthContext> {
  static override paths = [['run'], ['container', 'run']];
  static override usage = Command.Usage({
    category: 'Container commands',
    description: 'Create and run a new container from an image',
    details: `
      Runs in the foreground: the container's output is berth's, its exit status is berth's
      (125: berth failed, 126: the command cannot be executed, 127: it was not found).
      A missing image is pulled first. Networking: \`--network host\` (the default for now;
      Docker's default bridge is not implemented yet) or \`none\`. Detached runs (-d) are not
      supported yet.
    `,
    examples: [
      ['Print something', 'berth run --rm busybox echo hello'],
      ['An interactive shell', 'berth run --rm -it busybox sh'],
    ],
  });

  remove = Option.Boolean('--rm', false, { description: 'Automatically remove the container when it exits' });
  interactive = Option.Boolean('-i,--interactive', false, { description: 'Keep STDIN open even if not attached' });
  tty = Option.Boolean('-t,--tty', false, { description: 'Allocate a pseudo-TTY' });
  detach = Option.Boolean('-d,--detach', false, { description: 'Run container in background (not supported yet)' });
  env = Option.Array('-e,--env', [], { description: 'Set environment variables' });
  envFile = Option.Array('--env-file', [], { description: 'Read in a file of environment variables' });
  entrypoint = Option.String('--entrypoint', { description: 'Overwrite the default ENTRYPOINT of the image' });
  name = Option.String('--name', { description: 'Assign a name to the container' });
  workdir = Option.String('-w,--workdir', { description: 'Working directory inside the container' });
  user = Option.String('-u,--user', { description: 'Username or UID (format: <name|uid>[:<group|gid>])' });
  hostname = Option.String('-h,--hostname', { description: 'Container host name' });
  readOnly = Option.Boolean('--read-only', false, { description: "Mount the container's root filesystem as read only" });
  network = Option.String('--network,--net', 'host', { description: 'Connect a container to a network: host (default for now) or none' });
  runtime = Option.String('--runtime', 'berth-runtime', { description: 'Runtime to use: berth-runtime (in-process) or runc' });
  platform = Option.String('--platform', { description: 'Set platform if server is multi-platform capable' });
  image = Option.String({ name: 'IMAGE' });
  args = Option.Proxy({ name: 'COMMAND' });

  async execute(): Promise<number> {
    const { stderr } = this.context;
    try {
      if (this.detach) throw usage('detached mode (-d) is not supported yet: run in the foreground');
      if (this.network !== 'host' && this.network !== 'none') {
        throw usage(`network ${this.network} is not supported yet: use --network host (the default) or none`);
      }
      if (this.runtime !== 'berth-runtime' && this.runtime !== 'runc') {
        throw usage(`unknown runtime ${JSON.stringify(this.runtime)}: use berth-runtime or runc`);
      }
      // require, not import(): under Node16 + CommonJS import() goes through the ESM loader
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { collectEnv, runContainer } = require('../../run') as typeof import('../../run');
      const { openStore } = require('../context') as typeof import('../context');
      /* eslint-enable @typescript-eslint/no-require-imports */
      const env = await collectEnv(this.env, this.envFile, process.env);
      const store = await openStore(this.context);
      return await runContainer(
        store,
        {
          image: this.image,
          args: this.args,
          env,
          entrypoint: this.entrypoint,
          name: this.name,
          workdir: this.workdir,
          user: this.user,
          hostname: this.hostname,
          readOnly: this.readOnly,
          interactive: this.interactive,
          tty: this.tty,
          remove: this.remove,
          network: this.network,
          runtime: this.runtime,
          platform: this.platform,
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
}

function usage(message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code: 'ERR_BERTH_RUN_USAGE' });
}
