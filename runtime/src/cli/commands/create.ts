import { Option } from 'clipanion';
import { RuntimeCommand } from '../command';
import { parseFdCount } from './util';

export class CreateCommand extends RuntimeCommand {
  static override paths = [['create']];
  static override usage = RuntimeCommand.Usage({ description: 'create a container (its process waits for start)' });

  bundle = Option.String('--bundle,-b', '.', { description: 'path to the bundle directory' });
  consoleSocket = Option.String('--console-socket', { description: 'unix socket that receives the pty master' });
  pidFile = Option.String('--pid-file', { description: 'file to write the process id to' });
  noPivot = Option.Boolean('--no-pivot', false, { description: 'use MS_MOVE and chroot instead of pivot_root' });
  noNewKeyring = Option.Boolean('--no-new-keyring', false, { description: 'do not create a new session keyring' });
  preserveFds = Option.String('--preserve-fds', '0', { description: 'pass N additional fds (3..3+N-1) to the container' });
  id = Option.String();

  async run(): Promise<void> {
    await this.context.runtime().create(this.id, {
      bundle: this.bundle,
      consoleSocket: this.consoleSocket,
      pidFile: this.pidFile,
      noPivot: this.noPivot,
      noNewKeyring: this.noNewKeyring,
      preserveFds: parseFdCount(this.preserveFds),
    });
  }
}
