import { BerthError } from '../errors';

/**
 * A tar archive that cannot be read (truncated, corrupt header, unsupported
 * entry type) or an entry that cannot be written. Names the archive, the
 * entry when one is known, and the byte offset of the header at fault.
 */
export class TarError extends BerthError {
  /** The entry the header names (possibly garbled when the header is corrupt). */
  readonly entry: string | undefined;
  /** Byte offset of the header at fault in the uncompressed archive. */
  readonly offset: number;

  constructor(archive: string, problem: string, where: { entry?: string; offset?: number } = {}, options?: { cause?: unknown }) {
    const at = where.offset === undefined ? '' : ` at byte ${where.offset}`;
    const subject = where.entry === undefined ? `tar header${at}` : `entry ${JSON.stringify(where.entry)}${at}`;
    super('ERR_BERTH_TAR', `${archive}: ${subject}: ${problem}`, options);
    this.entry = where.entry;
    this.offset = where.offset ?? -1;
  }
}
