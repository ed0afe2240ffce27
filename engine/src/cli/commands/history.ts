import { Option } from 'clipanion';
import { BerthCommand } from '../berth-command';
import { openStore } from '../context';

const HEADERS = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };

/** `berth history IMAGE`: the image's history, newest first, as `docker history` prints it. */
export class HistoryCommand extends BerthCommand {
  static override paths = [['history'], ['image', 'history']];
  static override usage = BerthCommand.Usage({
    category: 'Image commands', description: 'Show the history of an image' });

  quiet = Option.Boolean('-q,--quiet', false, { description: 'Only show image IDs' });
  noTrunc = Option.Boolean('--no-trunc', false, { description: "Don't truncate output" });
  human = Option.Boolean('-H,--human', true, { description: 'Print sizes and dates in human readable format' });
  format = Option.String('--format', { description: 'Format output using a custom template' });
  image = Option.String({ name: 'IMAGE' });

  protected async run(): Promise<void> {
    const { imageDetails, historyRows, imageId } = await import('../../images/inspect.js');
    const { createdAgo, humanSize } = await import('../../format/units.js');
    const { renderFormat, STRICT } = await import('../../format/template.js');
    const store = await openStore(this.context);
    const entry = await store.images.get(this.image);
    if (!entry) throw new Error(`No such image: ${this.image}`);
    const rows = historyRows(await imageDetails(store, entry)).map((r) => {
      const createdBy = r.CreatedBy.replace(/\t/g, ' ');
      return {
        [STRICT]: true,
        ID: r.ID === '<missing>' || this.noTrunc ? r.ID : imageId(r.ID, false),
        CreatedSince: this.human ? createdAgo(r.CreatedAt) : r.CreatedAt,
        CreatedAt: r.CreatedAt,
        // Docker cuts CREATED BY at 45 characters with an ellipsis.
        CreatedBy: this.noTrunc || [...createdBy].length <= 45 ? createdBy : `${[...createdBy].slice(0, 44).join('')}…`,
        Size: this.human ? humanSize(r.Size, 3) : String(r.Size),
        Comment: r.Comment,
      };
    });
    if (this.quiet) {
      for (const r of rows) this.print(r.ID);
      return;
    }
    const format = this.format ?? 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
    this.context.stdout.write(renderFormat(format, rows, HEADERS));
  }
}
