import { Option } from 'clipanion';
import { RuntimeCommand } from '../command';

export class PauseCommand extends RuntimeCommand {
  static override paths = [['pause']];
  static override usage = RuntimeCommand.Usage({ description: 'freeze every process of the container (cgroup freezer)' });
  id = Option.String();

  async run(): Promise<void> {
    await this.context.runtime().pause(this.id);
  }
}
