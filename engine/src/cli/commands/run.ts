import { Command, Option } from 'clipanion';
import type { BerthContext } from '../context';
import type { RunOptions } from '../run-options';

/**
 * `berth run [OPTIONS] IMAGE [COMMAND] [ARG...]` in the foreground. Options
 * stop at IMAGE: what follows is the container's command line. Most command
 * lines never reach this class: main.ts parses them without clipanion
 * (run-options.ts); this one serves `--help`, errors and rarer spellings.
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

  // The names and defaults must match RUN_FLAGS in run-options.ts (a test compares them).
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
  init = Option.Boolean('--init', false, { description: 'Run an init inside the container that forwards signals and reaps processes' });
  securityOpt = Option.Array('--security-opt', [], { description: "Security Options (seccomp=unconfined, seccomp=FILE: a profile in Docker's format)" });
  image = Option.String({ name: 'IMAGE' });
  args = Option.Proxy({ name: 'COMMAND' });

  /** The parsed command line, as the hot path in main.ts makes it. */
  options(): RunOptions {
    return {
      remove: this.remove,
      interactive: this.interactive,
      tty: this.tty,
      detach: this.detach,
      env: this.env,
      envFile: this.envFile,
      entrypoint: this.entrypoint,
      name: this.name,
      workdir: this.workdir,
      user: this.user,
      hostname: this.hostname,
      readOnly: this.readOnly,
      network: this.network,
      runtime: this.runtime,
      platform: this.platform,
      init: this.init,
      securityOpt: this.securityOpt,
      image: this.image,
      args: this.args,
    };
  }

  async execute(): Promise<number> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, without the ESM loader
    const { executeRun } = require('../run-action') as typeof import('../run-action');
    return executeRun(this.options(), { stderr: this.context.stderr, root: this.context.root });
  }
}
