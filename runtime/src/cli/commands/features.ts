import { RuntimeCommand } from '../command';
import { features } from '../../defaults';

export class FeaturesCommand extends RuntimeCommand {
  static override paths = [['features']];
  static override usage = RuntimeCommand.Usage({ description: 'print the features this runtime supports as JSON' });

  run(): void {
    this.context.stdout.write(`${JSON.stringify(features(), null, 4)}\n`);
  }
}
