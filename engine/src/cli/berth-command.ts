import { Command } from 'clipanion';
import type { BerthContext } from './context';

/** Exit status of a command that ran and failed (Docker's). */
export const EXIT_FAILED = 1;
/** Docker's exit status for bad usage. */
export const EXIT_USAGE = 125;

/**
 * A command over the store or a registry: `run()` does the work, and any
 * error becomes one `Error: …` line on stderr and exit 1, as with the docker
 * CLI. BERTH_DEBUG=1 shows the stack.
 */
export abstract class BerthCommand extends Command<BerthContext> {
  protected abstract run(): Promise<number | void>;

  async execute(): Promise<number> {
    try {
      return (await this.run()) ?? 0;
    } catch (err) {
      const e = err as Error;
      if (e instanceof UsageError) {
        this.context.stderr.write(`Error: ${e.message}\nSee 'berth ${this.path.join(' ')} --help'.\n`);
        return EXIT_USAGE;
      }
      this.context.stderr.write(`Error: ${process.env['BERTH_DEBUG'] ? (e.stack ?? e.message) : e.message}\n`);
      return EXIT_FAILED;
    }
  }

  protected print(line: string): void {
    this.context.stdout.write(`${line}\n`);
  }
}

/** A usage problem found after parsing (Docker exits 125 for these). */
export class UsageError extends Error {}
