/**
 * The store reads layers with @berth/spec's tar reader; this adapter turns its
 * TarErrors into LayerErrors (naming the entry) so callers of unpack see one
 * error type for a bad layer.
 */
import { TarError, parsePaxRecords, readTar as readSpecTar, type TarEntry } from '@berth/spec';
import { LayerError } from '../errors';

export type { TarEntry, TarEntryType, TarHeader } from '@berth/spec';

function layerError(err: unknown): unknown {
  return err instanceof TarError ? new LayerError(err.message, err.entry, { cause: err }) : err;
}

function rethrowMapped(err: unknown): never {
  throw layerError(err);
}

/** An entry's body with its errors mapped: an iterator, not a generator per entry (one promise per chunk). */
class MappedBody implements AsyncIterableIterator<Buffer> {
  private readonly inner: AsyncIterator<Buffer>;

  constructor(body: AsyncIterable<Buffer>) {
    this.inner = body[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Buffer>> {
    return this.inner.next().catch(rethrowMapped);
  }

  return(): Promise<IteratorResult<Buffer>> {
    return this.inner.return ? this.inner.return().catch(rethrowMapped) : Promise.resolve({ value: undefined, done: true });
  }
}

/** Reads entries one at a time; the archive ends at the first zero block. */
export async function* readTar(source: AsyncIterable<Uint8Array>, archive: string): AsyncGenerator<TarEntry> {
  try {
    for await (const entry of readSpecTar(source, archive)) yield { ...entry, body: new MappedBody(entry.body) };
  } catch (err) {
    throw layerError(err);
  }
}

/** PAX records, values as bytes. */
export function parsePax(data: Buffer): Map<string, Buffer> {
  try {
    return parsePaxRecords(data);
  } catch (err) {
    throw layerError(err);
  }
}
