import { BerthError } from '@berth/spec';

/** The store's own failures: a missing blob or image, a corrupt index, a lock that cannot be taken. */
export class StoreError extends BerthError {
  constructor(code: `ERR_BERTH_STORE_${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A blob, image, snapshot or reference that the store does not hold. */
export class NotFoundError extends StoreError {
  constructor(message: string) {
    super('ERR_BERTH_STORE_NOT_FOUND', message);
  }
}

/** A layer tarball that is malformed or tries to write outside its snapshot. */
export class LayerError extends StoreError {
  /** The tar entry at fault, when there is one. */
  readonly entry: string | undefined;

  constructor(
    message: string,
    entry?: string,
    options?: { cause?: unknown; code?: `ERR_BERTH_STORE_${string}` },
  ) {
    super(options?.code ?? 'ERR_BERTH_STORE_BAD_LAYER', message, options);
    this.entry = entry;
  }
}

/** A layer entry that would land outside the snapshot (`..`, absolute, symlinked parent, outside hard link). */
export class BreakoutError extends LayerError {
  constructor(layer: string, entry: string, why: string) {
    super(`${layer}: entry "${entry}" ${why}; refusing to unpack`, entry, { code: 'ERR_BERTH_STORE_BREAKOUT' });
  }
}

/** The store lock is held by a live process for longer than we were willing to wait. */
export class LockTimeoutError extends StoreError {
  constructor(file: string, holder: string) {
    super('ERR_BERTH_STORE_LOCKED', `timed out waiting for the store lock ${file} (held by ${holder})`);
  }
}
