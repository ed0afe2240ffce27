import { Option } from 'clipanion';
import { UsageError } from '../../errors';
import { RuntimeCommand } from '../command';
import { table } from './util';

export class ListCommand extends RuntimeCommand {
  static override paths = [['list']];
  static override usage = RuntimeCommand.Usage({ description: 'list containers' });
  format = Option.String('--format,-f', 'table', { description: 'table or json' });
  quiet = Option.Boolean('--quiet,-q', false, { description: 'print only the ids' });

  run(): void {
    if (this.format !== 'table' && this.format !== 'json') throw new UsageError(`invalid format option: ${this.format}`);
    const states = this.context.runtime().list();
    const out = this.context.stdout;
    if (this.quiet) {
      for (const s of states) out.write(`${s.id}\n`);
    } else if (this.format === 'json') {
      out.write(`${states.length ? JSON.stringify(states) : 'null'}\n`);
    } else {
      const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
      for (const s of states) rows.push([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner]);
      out.write(table(rows));
    }
  }
}
