import { Option } from 'clipanion';
import { RuntimeCommand } from '../command';

export class StateCommand extends RuntimeCommand {
  static override paths = [['state']];
  static override usage = RuntimeCommand.Usage({ description: 'print the state of a container as JSON' });
  id = Option.String();

  run(): void {
    this.context.stdout.write(`${JSON.stringify(this.context.runtime().state(this.id), null, 2)}\n`);
  }
}
