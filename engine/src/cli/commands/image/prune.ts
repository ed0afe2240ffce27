import { Option } from 'clipanion';
import { BerthCommand } from '../../berth-command';
import { openStore } from '../../context';

/** `berth image prune [-a] [-f]`: dangling (or all unused) images, then their blobs and layers, as Docker prints it. */
export class ImagePruneCommand extends BerthCommand {
  static override paths = [['image', 'prune']];
  static override usage = BerthCommand.Usage({
    category: 'Image commands',
    description: 'Remove unused images',
    examples: [['Without asking', 'berth image prune -f']],
  });

  all = Option.Boolean('-a,--all', false, { description: 'Remove all unused images, not just dangling ones' });
  force = Option.Boolean('-f,--force', false, { description: 'Do not prompt for confirmation' });

  protected async run(): Promise<void> {
    const warning = this.all
      ? 'WARNING! This will remove all images without at least one container associated to them.'
      : 'WARNING! This will remove all dangling images.';
    if (!this.force) {
      const { readLine } = await import('../../prompt.js');
      this.context.stdout.write(`${warning}\nAre you sure you want to continue? [y/N] `);
      const answer = (await readLine(this.context.stdin)).trim().toLowerCase();
      if (answer !== 'y' && answer !== 'yes') {
        this.print('');
        return;
      }
    }
    const { familiar } = await import('../../../images/inspect.js');
    const { humanSize } = await import('../../../format/units.js');
    const store = await openStore(this.context);
    const before = new Map((await store.images.list()).map((e) => [e.digest, e]));
    const result = await store.pruneImages({ all: this.all });
    const lines: string[] = [];
    for (const digest of result.images) {
      const e = before.get(digest);
      if (!e) continue;
      for (const name of [...e.tags, ...e.repoDigests]) lines.push(`untagged: ${familiar(name)}`);
      lines.push(`deleted: ${e.config}`);
    }
    for (const chain of result.snapshots) lines.push(`deleted: ${chain}`);
    if (lines.length) this.print(['Deleted Images:', ...lines, ''].join('\n'));
    this.print(`Total reclaimed space: ${humanSize(result.bytesFreed)}`);
  }
}
