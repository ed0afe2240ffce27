import { Option } from 'clipanion';
import { RuntimeCommand } from '../command';

export class DeleteCommand extends RuntimeCommand {
  static override paths = [['delete']];
  static override usage = RuntimeCommand.Usage({ description: 'delete a stopped (or, with --force, any) container' });
  force = Option.Boolean('--force,-f', false, { description: 'kill the container if it is running' });
  id = Option.String();

  async run(): Promise<void> {
    await this.context.runtime().delete(this.id, this.force);
  }
}
