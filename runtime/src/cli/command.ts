import { Command } from 'clipanion';
import type { RuntimeContext } from './context';

/** Base of every command: failures are logged the runc way and exit 1. */
export abstract class RuntimeCommand extends Command<RuntimeContext> {
  abstract run(): Promise<number | void> | number | void;

  async execute(): Promise<number> {
    try {
      return (await this.run()) ?? 0;
    } catch (err) {
      this.context.log.fatal(err instanceof Error ? err.message : String(err));
      return 1;
    }
  }
}
