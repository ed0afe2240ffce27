import * as fs from 'node:fs';
import { Option } from 'clipanion';
import { UsageError } from '../../errors';
import { RuntimeCommand } from '../command';

/**
 * runc takes `--memory-swap -1` and `--pids-limit -1`; clipanion reads "-1" as a flag.
 * Joins such a value to its flag ("--memory-swap=-1") before parsing.
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    if (/^--[a-z-]+$/.test(a) && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

export class UpdateCommand extends RuntimeCommand {
  static override paths = [['update']];
  static override usage = RuntimeCommand.Usage({
    description: 'update the resource limits of a running container',
    details: 'With --resources (a file of linux.resources JSON, or - for stdin) every other option is ignored, as in runc.',
  });
  resources = Option.String('--resources,-r', { description: "file with the linux.resources to apply, or '-' for stdin" });
  blkioWeight = Option.String('--blkio-weight', { description: 'block I/O weight, 10 to 1000' });
  cpuPeriod = Option.String('--cpu-period', { description: 'CPU CFS period (µs)' });
  cpuQuota = Option.String('--cpu-quota', { description: 'CPU CFS quota per period (µs), -1 for none' });
  cpuShares = Option.String('--cpu-share,--cpu-shares', { description: 'CPU shares (relative weight)' });
  cpuRtPeriod = Option.String('--cpu-rt-period', { description: 'CPU realtime period (µs)' });
  cpuRtRuntime = Option.String('--cpu-rt-runtime', { description: 'CPU realtime runtime per period (µs)' });
  cpusetCpus = Option.String('--cpuset-cpus', { description: 'CPUs to run on ("0-2,4")' });
  cpusetMems = Option.String('--cpuset-mems', { description: 'memory nodes to use' });
  memory = Option.String('--memory', { description: 'memory limit (bytes, or with k/m/g), -1 for none' });
  memoryReservation = Option.String('--memory-reservation', { description: 'memory soft limit' });
  memorySwap = Option.String('--memory-swap', { description: 'memory plus swap limit, -1 for unlimited swap' });
  pidsLimit = Option.String('--pids-limit', { description: 'maximum number of pids, -1 for none' });
  l3CacheSchema = Option.String('--l3-cache-schema', { hidden: true });
  memBwSchema = Option.String('--mem-bw-schema', { hidden: true });
  id = Option.String();

  run(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const u = require('../../cgroups/update') as typeof import('../../cgroups/update');
    let oci;
    if (this.resources !== undefined) {
      const source = this.resources === '-' ? 'stdin' : this.resources;
      let text: string;
      try {
        text = fs.readFileSync(this.resources === '-' ? 0 : this.resources, 'utf8');
      } catch (err) {
        throw new UsageError(`--resources: cannot read ${source}: ${(err as Error).message}`);
      }
      oci = u.resourcesFromJson(text, source);
    } else {
      if (this.l3CacheSchema !== undefined || this.memBwSchema !== undefined) {
        throw new UsageError('--l3-cache-schema and --mem-bw-schema: Intel RDT is not supported by berth-runtime');
      }
      oci = u.resourcesFromFlags(this);
    }
    for (const w of this.context.runtime().update(this.id, oci)) this.context.log.warn(w);
  }
}
