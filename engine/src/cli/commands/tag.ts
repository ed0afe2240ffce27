import { Option } from 'clipanion';
import { BerthCommand } from '../berth-command';
import { openStore } from '../context';

/** `berth tag SOURCE TARGET`: TARGET names the image SOURCE names. */
export class TagCommand extends BerthCommand {
  static override paths = [['tag'], ['image', 'tag']];
  static override usage = BerthCommand.Usage({
    category: 'Image commands',
    description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    examples: [['Tag for a local registry', 'berth tag busybox localhost:5000/busybox:1']],
  });

  source = Option.String({ name: 'SOURCE_IMAGE[:TAG]' });
  target = Option.String({ name: 'TARGET_IMAGE[:TAG]' });

  protected async run(): Promise<void> {
    const { parseDockerRef } = await import('@berth/spec');
    const store = await openStore(this.context);
    const target = parseDockerRef(this.target);
    if (target.digest !== undefined) throw new Error(`refusing to create a tag with a digest reference: ${this.target}`);
    if (!(await store.images.get(this.source))) throw new Error(`No such image: ${this.source}`);
    await store.images.tag(this.source, target.toString());
  }
}
