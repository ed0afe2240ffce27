import { Option } from 'clipanion';
import { BerthCommand } from '../berth-command';
import { openRegistry, openStore } from '../context';

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

  protected async run(): Promise<number> {
    const { parseReference, parseDockerRef } = await import('@berth/spec');
    const { pullIntoStore } = await import('../../images/pull.js');
    const { PullProgress } = await import('../pull-progress.js');
    const given = parseReference(this.reference);
    const ref = parseDockerRef(this.reference);
    const out = this.context.stdout;
    if (!this.quiet) {
      if (given.tag === undefined && given.digest === undefined) this.print('Using default tag: latest');
      this.print(`${ref.tag ?? ref.digest}: Pulling from ${ref.path}`);
    }
    const store = await openStore(this.context);
    const client = await openRegistry();
    const progress = new PullProgress(out, Boolean((out as NodeJS.WriteStream).isTTY));
    try {
      const result = await pullIntoStore(store, client, ref, {
        platform: this.platform,
        listener: this.quiet ? undefined : progress,
      });
      if (!this.quiet) {
        progress.finish(result.updated);
        this.print(`Digest: ${result.digest}`);
        this.print(`Status: ${result.updated ? 'Downloaded newer image for' : 'Image is up to date for'} ${ref.familiarString}`);
      }
      this.print(ref.toString());
      return 0;
    } finally {
      await client.close();
    }
  }
}
