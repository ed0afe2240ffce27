import { Command } from 'clipanion';
import type { BerthContext } from '../context';
import { berthVersion } from '../../version';

/** `berth --version`, worded as `docker --version`. */
export class VersionCommand extends Command<BerthContext> {
  static override paths = [['--version'], ['-v']];
  static override usage = Command.Usage({ description: 'Print version information and quit' });

  async execute(): Promise<number> {
    this.context.stdout.write(`berth version ${berthVersion()}\n`);
    return 0;
  }
}
