import { BerthCommand } from '../../berth-command';
import { openStore } from '../../context';

/** `berth system df`: Docker's summary table of what the store holds and what could go. */
export class SystemDfCommand extends BerthCommand {
  static override paths = [['system', 'df']];
  static override usage = BerthCommand.Usage({ category: 'System commands', description: 'Show disk usage' });

  protected async run(): Promise<void> {
    const { humanSize } = await import('../../../format/units.js');
    const { tabwrite } = await import('../../../format/template.js');
    const store = await openStore(this.context);
    const { totals } = await store.df();
    const reclaim = (part: number, whole: number): string =>
      whole > 0 ? `${humanSize(part)} (${Math.trunc((100 * part) / whole)}%)` : humanSize(part);
    const i = totals.images;
    const c = totals.containers;
    this.context.stdout.write(
      tabwrite([
        'TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE',
        `Images\t${i.total}\t${i.active}\t${humanSize(i.size)}\t${reclaim(i.reclaimable, i.size)}`,
        `Containers\t${c.total}\t0\t${humanSize(c.size)}\t${reclaim(c.size, c.size)}`,
        'Local Volumes\t0\t0\t0B\t0B',
        'Build Cache\t0\t0\t0B\t0B',
      ]),
    );
  }
}
