import { Option } from 'clipanion';
import { BerthCommand } from '../berth-command';
import { openStore } from '../context';

/** `berth save [-o FILE] IMAGE...`: a tarball `docker load`, skopeo and `berth load` read. */
export class SaveCommand extends BerthCommand {
  static override paths = [['save'], ['image', 'save']];
  static override usage = BerthCommand.Usage({
    category: 'Image commands',
    description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    examples: [['Save busybox', 'berth save -o busybox.tar busybox']],
  });

  output = Option.String('-o,--output', { description: 'Write to a file, instead of STDOUT' });
  images = Option.Rest({ required: 1, name: 'IMAGE' });

  protected async run(): Promise<void> {
    const out = this.context.stdout as NodeJS.WriteStream;
    if (this.output === undefined && out.isTTY) {
      throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    const { saveImages } = await import('../../images/archive.js');
    const store = await openStore(this.context);
    await saveImages(store, this.images, this.output ?? out);
  }
}
