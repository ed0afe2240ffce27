import { Option } from 'clipanion';
import { BerthCommand, EXIT_FAILED } from '../../berth-command';
import { openStore } from '../../context';

/**
 * `berth system check`: finds what interrupted operations left in the store
 * (temp files, dead leases and locks, incomplete snapshots, …) and repairs
 * it. Exit 1 when something is wrong and was not (or, with --dry-run,
 * would not be) repaired.
 */
export class SystemCheckCommand extends BerthCommand {
  static override paths = [['system', 'check']];
  static override usage = BerthCommand.Usage({
    category: 'System commands',
    description: 'Check the store for damage and repair it',
  });

  dryRun = Option.Boolean('--dry-run', false, { description: 'Only report what is wrong' });
  verifyBlobs = Option.Boolean('--verify-blobs', false, { description: 'Rehash every blob (slow on big stores)' });

  protected async run(): Promise<number> {
    const store = await openStore(this.context);
    const { problems } = await store.check({ dryRun: this.dryRun, verifyBlobs: this.verifyBlobs });
    for (const p of problems) this.print(`${p.kind}: ${p.subject}: ${p.message}${p.repaired ? ' (repaired)' : ''}`);
    const left = problems.filter((p) => !p.repaired).length;
    this.print(problems.length === 0 ? 'No problems found' : `${problems.length} problem(s) found, ${problems.length - left} repaired`);
    return left > 0 ? EXIT_FAILED : 0;
  }
}
