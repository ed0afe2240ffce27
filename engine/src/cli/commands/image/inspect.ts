import { Option } from 'clipanion';
import { BerthCommand, EXIT_FAILED } from '../../berth-command';
import { openStore } from '../../context';

/** `berth image inspect [--format T] IMAGE...`: Docker-shaped JSON, an array of one element per image. */
export class ImageInspectCommand extends BerthCommand {
  static override paths = [['image', 'inspect']];
  static override usage = BerthCommand.Usage({
    category: 'Image commands',
    description: 'Display detailed information on one or more images',
    examples: [
      ['Everything', 'berth image inspect busybox'],
      ['The entrypoint', "berth image inspect --format '{{json .Config.Entrypoint}}' busybox"],
    ],
  });

  format = Option.String('-f,--format', { description: 'Format output using a custom template' });
  images = Option.Rest({ required: 1, name: 'IMAGE' });

  protected async run(): Promise<number> {
    const { imageDetails, inspectJson } = await import('../../../images/inspect.js');
    const { parseTemplate } = await import('../../../format/template.js');
    const store = await openStore(this.context);
    const out: Record<string, unknown>[] = [];
    let failed = false;
    for (const input of this.images) {
      const entry = await store.images.get(input);
      if (!entry) {
        this.context.stderr.write(`Error: No such image: ${input}\n`);
        failed = true;
        continue;
      }
      out.push(inspectJson(await imageDetails(store, entry), (c) => store.snapshots.fsPath(c)));
    }
    if (this.format !== undefined && this.format !== 'json') {
      const tpl = parseTemplate(this.format.replace(/\\t/g, '\t').replace(/\\n/g, '\n'));
      for (const o of out) this.print(tpl.execute(o));
    } else {
      // As Go's encoder: <, > and & escaped.
      this.print(JSON.stringify(out, null, 4).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`));
    }
    return failed ? EXIT_FAILED : 0;
  }
}
