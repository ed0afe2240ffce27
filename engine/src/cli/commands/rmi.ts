import { Option } from 'clipanion';
import { BerthCommand, EXIT_FAILED } from '../berth-command';
import { openStore } from '../context';

/**
 * `berth rmi [-f] IMAGE...`: removes a name; an image left without names
 * is deleted, and its blobs and layers go too (Docker's `Untagged:` and
 * `Deleted:` lines). An image ID with several names needs -f; images that
 * containers use are refused as Docker does (images/rmi.ts).
 */
export class RmiCommand extends BerthCommand {
  static override paths = [['rmi'], ['image', 'rm'], ['image', 'remove']];
  static override usage = BerthCommand.Usage({
    category: 'Image commands',
    description: 'Remove one or more images',
    examples: [['Remove busybox', 'berth rmi busybox']],
  });

  force = Option.Boolean('-f,--force', false, { description: 'Force removal of the image' });
  images = Option.Rest({ required: 1, name: 'IMAGE' });

  protected async run(): Promise<number> {
    const { familiar } = await import('../../images/inspect.js');
    const { removeImage } = await import('../../images/rmi.js');
    const store = await openStore(this.context);
    let failed = false;
    let deletedAny = false;
    for (const input of this.images) {
      try {
        const { untagged, deleted } = await removeImage(store, input, this.force);
        for (const name of untagged) this.print(`Untagged: ${familiar(name)}`);
        if (deleted) {
          this.print(`Deleted: ${deleted}`);
          deletedAny = true;
        }
      } catch (err) {
        this.context.stderr.write(`Error: ${(err as Error).message}\n`);
        failed = true;
      }
    }
    if (deletedAny) {
      // What the deleted images alone held (blobs, layer snapshots) goes now, as Docker deletes layers.
      const gc = await store.gc();
      for (const chain of gc.snapshots) this.print(`Deleted: ${chain}`);
    }
    return failed ? EXIT_FAILED : 0;
  }
}
