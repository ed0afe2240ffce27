import { Option } from 'clipanion';
import { RuntimeCommand } from '../command';
import { parseFdCount } from './util';

export class RunCommand extends RuntimeCommand {
  static override paths = [['run']];
  static override usage = RuntimeCommand.Usage({ description: 'create and start a container; in the foreground, wait and exit with its status' });

  bundle = Option.String('--bundle,-b', '.', { description: 'path to the bundle directory' });
  consoleSocket = Option.String('--console-socket', { description: 'unix socket that receives the pty master' });
  detach = Option.Boolean('--detach,-d', false, { description: 'do not wait for the container' });
  keep = Option.Boolean('--keep', false, { description: 'keep the container state after it exits' });
  pidFile = Option.String('--pid-file', { description: 'file to write the process id to' });
  noPivot = Option.Boolean('--no-pivot', false, { description: 'use MS_MOVE and chroot instead of pivot_root' });
  noNewKeyring = Option.Boolean('--no-new-keyring', false, { description: 'do not create a new session keyring' });
  preserveFds = Option.String('--preserve-fds', '0', { description: 'pass N additional fds (3..3+N-1) to the container' });
  id = Option.String();

  async run(): Promise<number> {
    return this.context.runtime().run(this.id, {
      bundle: this.bundle,
      consoleSocket: this.consoleSocket,
      detach: this.detach,
      keep: this.keep,
      pidFile: this.pidFile,
      noPivot: this.noPivot,
      noNewKeyring: this.noNewKeyring,
      preserveFds: parseFdCount(this.preserveFds),
    });
  }
}
