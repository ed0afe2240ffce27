import { RuntimeCommand } from '../command';

export class FeaturesCommand extends RuntimeCommand {
  static override paths = [['features']];
  static override usage = RuntimeCommand.Usage({ description: 'print the features this runtime supports as JSON' });

  run(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { features } = require('../../defaults') as typeof import('../../defaults');
    this.context.stdout.write(`${JSON.stringify(features(), null, 4)}\n`);
  }
}
