import { Option } from 'clipanion';
import { RuntimeCommand } from '../command';
import { parseSignal } from '../signals';

export class KillCommand extends RuntimeCommand {
  static override paths = [['kill']];
  static override usage = RuntimeCommand.Usage({ description: 'send a signal (default SIGTERM) to the container' });
  all = Option.Boolean('--all,-a', false, { description: 'signal every process of the container' });
  id = Option.String();
  signal = Option.String({ required: false });

  async run(): Promise<void> {
    await this.context.runtime().kill(this.id, parseSignal(this.signal ?? 'SIGTERM'), this.all);
  }
}
