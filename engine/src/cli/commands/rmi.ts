import { Option } from 'clipanion';
import { BerthCommand, EXIT_FAILED } from '../berth-command';
import { openStore } from '../context';

/**
 * `berth rmi [-f] IMAGE...`: removes a name; an image left without names
 * is deleted, and its blobs and layers go too (Docker's `Untagged:` and
 * `Deleted:` lines). An image ID with several names needs -f.
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
    const { parseDockerRef } = await import('@berth/spec');
    const canonical = (input: string): string => {
      try {
        return parseDockerRef(input).toString();
      } catch {
        return input;
      }
    };
    const store = await openStore(this.context);
    let failed = false;
    let deletedAny = false;
    for (const input of this.images) {
      try {
        const img = await store.images.get(input);
        if (!img) throw new Error(`No such image: ${input}`);
        const isId = /^(sha256:)?[0-9a-f]{1,64}$/.test(input) && !img.tags.includes(canonical(input));
        if (isId && img.tags.length > 1 && !this.force) {
          throw new Error(`conflict: unable to delete ${img.config.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
        }
        // A name that is the image's last one takes the image with it (and its repo digests), as in Docker.
        const last = isId || img.tags.length + img.repoDigests.length <= 1 || (img.tags.length === 1 && img.tags[0] === canonical(input));
        const untagged = last ? (await store.images.remove(img.digest)).untagged : (await store.images.untag(input)).untagged;
        const deleted = last;
        for (const name of untagged) this.print(`Untagged: ${familiar(name)}`);
        if (deleted) {
          this.print(`Deleted: ${img.config}`);
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
