import { Option } from 'clipanion';
import type { CgroupManager } from '../../cgroups/manager';
import { ContainerStateError, UsageError } from '../../errors';
import { RuntimeCommand } from '../command';

export class EventsCommand extends RuntimeCommand {
  static override paths = [['events']];
  static override usage = RuntimeCommand.Usage({
    description: 'print the container\'s resource usage and OOM events as JSON lines (runc\'s format)',
    details: 'Without --stats, a stats line every --interval and an "oom" line for each OOM kill, until the container stops.',
  });
  stats = Option.Boolean('--stats', false, { description: 'print the stats once and exit' });
  interval = Option.String('--interval', '5s', { description: 'time between stats lines (Go duration, default 5s)' });
  id = Option.String();

  async run(): Promise<void> {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { parseDuration } = require('../../cgroups/duration') as typeof import('../../cgroups/duration');
    const { eventLine } = require('../../cgroups/events') as typeof import('../../cgroups/events');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const intervalMs = parseDuration(this.interval, '--interval');
    const rt = this.context.runtime();
    // runc's words for a container that has stopped
    if (rt.state(this.id).status === 'stopped') throw new ContainerStateError(`container with id ${this.id} is not running`);
    const { cgroup } = rt.liveCgroup(this.id);
    const out = this.context.stdout;
    if (this.stats) {
      out.write(`${eventLine('stats', this.id, cgroup.stats())}\n`);
      return;
    }
    if (intervalMs <= 0) throw new UsageError('--interval: must be greater than 0');
    // Until the container stops: stats on every tick, an "oom" line for each OOM kill counted
    // (polled every 100 ms, and once more at the end: an OOM often is what stopped it).
    let ooms = oomCount(cgroup);
    const reportOoms = () => {
      for (const now = oomCount(cgroup); ooms < now; ooms++) out.write(`${eventLine('oom', this.id)}\n`);
    };
    await new Promise<void>((resolve, reject) => {
      let next = Date.now();
      const tick = () => {
        try {
          reportOoms();
          if (rt.state(this.id).status === 'stopped' || !cgroup.exists()) return finish();
          if (Date.now() >= next) {
            out.write(`${eventLine('stats', this.id, cgroup.stats())}\n`);
            next += intervalMs;
          }
        } catch (err) {
          finish(err);
        }
      };
      const timer = setInterval(tick, Math.min(100, intervalMs));
      const finish = (err?: unknown) => {
        clearInterval(timer);
        if (err === undefined) resolve();
        else reject(err instanceof Error ? err : new Error(String(err)));
      };
      tick();
    });
  }
}

function oomCount(m: CgroupManager): bigint {
  try {
    return m.oomKillCount();
  } catch {
    return 0n; // the cgroup is gone
  }
}
