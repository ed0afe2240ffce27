import { Option } from 'clipanion';
import { BerthCommand } from '../berth-command';
import { openStore } from '../context';

const HEADERS = {
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  ID: 'IMAGE ID',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  VirtualSize: 'SIZE',
  Containers: 'CONTAINERS',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** `berth images`: Docker's table, one row per tag (`<none>` for dangling images). */
export class ImagesCommand extends BerthCommand {
  static override paths = [['images'], ['image', 'ls'], ['image', 'list']];
  static override usage = BerthCommand.Usage({
    category: 'Image commands',
    description: 'List images',
    examples: [
      ['All images', 'berth images'],
      ['Only IDs', 'berth images -q'],
      ['A custom table', "berth images --format 'table {{.Repository}}\\t{{.Size}}'"],
    ],
  });

  quiet = Option.Boolean('-q,--quiet', false, { description: 'Only show image IDs' });
  digests = Option.Boolean('--digests', false, { description: 'Show digests' });
  noTrunc = Option.Boolean('--no-trunc', false, { description: "Don't truncate output" });
  format = Option.String('--format', { description: 'Format output using a custom template ("table", "json" or a Go template)' });
  filters = Option.Array('-f,--filter', [], { description: 'Filter output based on conditions provided (dangling=true|false, reference=PATTERN)' });
  all = Option.Boolean('-a,--all', false, { description: 'Show all images (the store keeps no intermediate images)' });
  repository = Option.String({ required: false, name: 'REPOSITORY[:TAG]' });

  protected async run(): Promise<void> {
    const { parseReference } = await import('@berth/spec');
    const { imageDetails, imageId, familiar } = await import('../../images/inspect.js');
    const { createdAgo, humanSize } = await import('../../format/units.js');
    const { renderFormat, goJson, STRICT } = await import('../../format/template.js');
    const store = await openStore(this.context);
    let filter: { name: string; tag?: string } | undefined;
    if (this.repository !== undefined) {
      const r = parseReference(this.repository);
      filter = { name: r.name, tag: r.tag };
    }
    const { imageFilter } = await import('../../images/filter.js');
    const keep = imageFilter(this.filters);
    const rows: Record<string | symbol, unknown>[] = [];
    const details = await Promise.all((await store.images.list()).map((entry) => imageDetails(store, entry)));
    // Newest first by the image's creation date, as `docker images` sorts.
    const time = (c: string | undefined): number => (c ? Date.parse(c) || 0 : 0);
    details.sort((a, b) => time(b.config.created) - time(a.config.created));
    for (const d of details) {
      const entry = d.entry;
      const names = entry.tags.length ? entry.tags : entry.repoDigests.length ? entry.repoDigests : [undefined];
      for (const name of names) {
        const ref = name === undefined ? undefined : parseReference(name);
        if (filter && (ref?.name !== filter.name || (filter.tag !== undefined && ref.tag !== filter.tag))) continue;
        if (!keep({ dangling: entry.tags.length === 0, name: ref && familiar(ref.name), tag: ref?.tag })) continue;
        const repoDigest = entry.repoDigests.find((rd) => ref !== undefined && parseReference(rd).name === ref.name);
        const created = d.config.created;
        rows.push({
          [STRICT]: true,
          Containers: 'N/A',
          CreatedAt: created ? new Date(created).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC') : '',
          CreatedSince: createdAgo(created),
          Digest: repoDigest ? repoDigest.slice(repoDigest.indexOf('@') + 1) : '<none>',
          ID: this.noTrunc ? entry.config : imageId(entry.config, false),
          Repository: ref ? familiar(ref.name) : '<none>',
          SharedSize: 'N/A',
          Size: humanSize(d.size, 3),
          Tag: ref?.tag ?? '<none>',
          UniqueSize: 'N/A',
          VirtualSize: humanSize(d.size, 3),
        });
      }
    }
    if (this.quiet) {
      for (const r of rows) this.print(String(r['ID']));
      return;
    }
    let format = this.format ?? 'table';
    if (format === 'json') {
      for (const r of rows) this.print(goJson(r));
      return;
    }
    if (format === 'table') {
      format = `table {{.Repository}}\t{{.Tag}}${this.digests ? '\t{{.Digest}}' : ''}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}`;
    }
    this.context.stdout.write(renderFormat(format, rows, HEADERS));
  }
}
