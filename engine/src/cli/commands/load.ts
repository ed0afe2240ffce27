import { Option } from 'clipanion';
import { BerthCommand } from '../berth-command';
import { openStore } from '../context';

/** `berth load [-i FILE|DIR]`: a docker save tarball, an OCI layout (tar or directory), or skopeo's archives. */
export class LoadCommand extends BerthCommand {
  static override paths = [['load'], ['image', 'load']];
  static override usage = BerthCommand.Usage({
    category: 'Image commands',
    description: 'Load an image from a tar archive or STDIN',
    examples: [
      ['From a file', 'berth load -i busybox.tar'],
      ['From an OCI layout directory', 'berth load -i ./layout'],
    ],
  });

  input = Option.String('-i,--input', { description: 'Read from tar archive file (or OCI layout directory), instead of STDIN' });
  quiet = Option.Boolean('-q,--quiet', false, { description: 'Suppress the load output' });

  protected async run(): Promise<void> {
    const stdin = this.context.stdin as NodeJS.ReadStream;
    if (this.input === undefined && stdin.isTTY) {
      throw new Error('requested load from stdin, but stdin is empty');
    }
    const { loadImages } = await import('../../images/archive.js');
    const { parseReference } = await import('@berth/spec');
    const store = await openStore(this.context);
    const loaded = await loadImages(store, this.input ?? stdin);
    for (const image of loaded) {
      if (image.names.length === 0) this.print(`Loaded image ID: ${image.id}`);
      for (const name of image.names) this.print(`Loaded image: ${parseReference(name).familiarString}`);
    }
  }
}
