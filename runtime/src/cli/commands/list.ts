import * as fs from 'node:fs';
import * as path from 'node:path';
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
    // As runc: the owner is the user owning the container's state dir (state keeps it "").
    const states = this.context.runtime().list().map((s) => ({ ...s, owner: ownerOf(path.join(this.context.root, s.id)) }));
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

/** The user name of `dir`'s owner from /etc/passwd, "#uid" when it has none (runc's list). */
function ownerOf(dir: string): string {
  let uid: number;
  try {
    uid = fs.statSync(dir).uid;
  } catch {
    return '';
  }
  let passwd = '';
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    // no passwd file: the number
  }
  const line = passwd.split('\n').find((l) => l.split(':')[2] === String(uid));
  return line ? line.split(':')[0] : `#${uid}`;
}
