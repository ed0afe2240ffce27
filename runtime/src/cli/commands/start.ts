import { Option } from 'clipanion';
import { RuntimeCommand } from '../command';

export class StartCommand extends RuntimeCommand {
  static override paths = [['start']];
  static override usage = RuntimeCommand.Usage({ description: 'start the process of a created container' });
  id = Option.String();

  run(): void {
    this.context.runtime().start(this.id);
  }
}
