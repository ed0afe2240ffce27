import { Option } from 'clipanion';
import { RuntimeCommand } from '../command';

export class ResumeCommand extends RuntimeCommand {
  static override paths = [['resume']];
  static override usage = RuntimeCommand.Usage({ description: 'thaw the processes of a paused container' });
  id = Option.String();

  async run(): Promise<void> {
    await this.context.runtime().resume(this.id);
  }
}
