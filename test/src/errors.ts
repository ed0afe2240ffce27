import { BerthError } from '@berth/spec';

/** A fixture could not be made (missing busybox, a path escaping its root, bad options). */
export class FixtureError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BERTH_FIXTURE', message, options);
  }
}
