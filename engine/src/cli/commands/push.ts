import { Option } from 'clipanion';
import { BerthCommand } from '../berth-command';
import { openRegistry, openStore } from '../context';

/** `berth push NAME[:TAG]`, printing what `docker push` prints. */
export class PushCommand extends BerthCommand {
  static override paths = [['push'], ['image', 'push']];
  static override usage = BerthCommand.Usage({
    category: 'Image commands',
    description: 'Upload an image to a registry',
    examples: [['Push to a local registry', 'berth tag busybox localhost:5000/busybox && berth push localhost:5000/busybox']],
  });

  quiet = Option.Boolean('-q,--quiet', false, { description: 'Suppress verbose output' });
  reference = Option.String({ name: 'NAME[:TAG]' });

  protected async run(): Promise<void> {
    const { parseReference, parseDockerRef } = await import('@berth/spec');
    const { pushFromStore } = await import('../../images/push.js');
    const { PullProgress } = await import('../pull-progress.js');
    const given = parseReference(this.reference);
    const ref = parseDockerRef(this.reference);
    if (ref.digest !== undefined) throw new Error(`cannot push a digest reference: ${this.reference}`);
    const store = await openStore(this.context);
    const client = await openRegistry();
    const out = this.context.stdout;
    const progress = new PullProgress(out, Boolean((out as NodeJS.WriteStream).isTTY), false);
    try {
      if (!this.quiet) {
        if (given.tag === undefined) this.print('Using default tag: latest');
        this.print(`The push refers to repository [${ref.name}]`);
      }
      const result = await pushFromStore(store, client, ref, this.quiet ? undefined : progress);
      if (!this.quiet) {
        progress.finish(true);
        this.print(`${ref.tag}: digest: ${result.digest} size: ${result.size}`);
      } else {
        this.print(ref.toString());
      }
    } finally {
      await client.close();
    }
  }
}
