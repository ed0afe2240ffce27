import type { BaseContext } from 'clipanion';
import type { Logger } from '../log';
import type { Runtime } from '../runtime';

/** What every command gets: the global options, already parsed. */
export interface RuntimeContext extends BaseContext {
  root: string;
  log: Logger;
  /** The Runtime for --root, built on first use (keeps start-up lean). */
  runtime(): Runtime;
}
