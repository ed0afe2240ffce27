import { spawnSync } from 'node:child_process';
import { Option } from 'clipanion';
import { UsageError } from '../../errors';
import { RuntimeCommand } from '../command';

export class PsCommand extends RuntimeCommand {
  static override paths = [['ps']];
  static override usage = RuntimeCommand.Usage({ description: 'list the processes of a container (table: ps -ef, or ps with the given options)' });
  format = Option.String('--format,-f', 'table', { description: 'table or json' });
  id = Option.String();
  psArgs = Option.Rest();

  run(): number {
    if (this.format !== 'table' && this.format !== 'json') throw new UsageError(`invalid format option: ${this.format}`);
    const pids = this.context.runtime().pids(this.id);
    if (this.format === 'json') {
      this.context.stdout.write(`${JSON.stringify(pids)}\n`);
      return 0;
    }
    const r = spawnSync('ps', this.psArgs.length ? this.psArgs : ['-ef'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new UsageError(`ps failed: ${r.error?.message ?? r.stderr}`);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    const header = lines[0] ?? '';
    const col = header.trim().split(/\s+/).indexOf('PID');
    if (col < 0) throw new UsageError('ps output has no PID column');
    const wanted = new Set(pids);
    const rows = lines.slice(1).filter((l) => wanted.has(Number(l.trim().split(/\s+/)[col])));
    this.context.stdout.write([header, ...rows].join('\n') + '\n');
    return 0;
  }
}
