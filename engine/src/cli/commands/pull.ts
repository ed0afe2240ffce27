import { Option } from 'clipanion';
import { BerthCommand } from '../berth-command';

/** `berth pull [--platform P] [-q] REF`, printing what `docker pull` prints. */
export class PullCommand extends BerthCommand {
  static override paths = [['pull'], ['image', 'pull']];
  static override usage = BerthCommand.Usage({
    category: 'Image commands',
    description: 'Download an image from a registry',
    examples: [
      ['Pull busybox from Docker Hub (or BERTH_REGISTRY_MIRRORS)', 'berth pull busybox'],
      ['Pull the arm64 image', 'berth pull --platform linux/arm64 localhost:5000/app:1'],
    ],
  });

  platform = Option.String('--platform', { description: 'Set platform if server is multi-platform capable' });
  quiet = Option.Boolean('-q,--quiet', false, { description: 'Suppress verbose output' });
  reference = Option.String({ name: 'NAME[:TAG|@DIGEST]' });

  protected run(): Promise<number> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when it runs
    const { executePull } = require('../pull-action') as typeof import('../pull-action');
    return executePull({ reference: this.reference, platform: this.platform, quiet: this.quiet }, this.context);
  }
}
