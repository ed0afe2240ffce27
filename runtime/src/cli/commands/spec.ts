import * as fs from 'node:fs';
import * as path from 'node:path';
import { Option } from 'clipanion';
import { UsageError } from '../../errors';
import { RuntimeCommand } from '../command';

export class SpecCommand extends RuntimeCommand {
  static override paths = [['spec']];
  static override usage = RuntimeCommand.Usage({ description: 'write a default config.json into the bundle' });
  bundle = Option.String('--bundle,-b', '.', { description: 'path to the bundle directory' });
  rootless = Option.Boolean('--rootless', false, { description: 'a config for a rootless container' });

  run(): void {
    const file = path.join(this.bundle, 'config.json');
    if (fs.existsSync(file)) throw new UsageError(`File ${file} exists. Remove it first`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { defaultSpec } = require('../../defaults') as typeof import('../../defaults');
    fs.writeFileSync(file, `${JSON.stringify(defaultSpec(this.rootless), null, '\t')}\n`, { flag: 'wx', mode: 0o666 });
  }
}
