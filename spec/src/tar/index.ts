/**
 * berth's one tar implementation (reader and writer), shared by the store,
 * the registry client and the test fixtures. Exported from `@berth/spec`
 * through thin wrappers that load the implementation on first use, so
 * programs that never touch a tar (the runtime's hot paths) do not pay for it.
 */
import type { Writable } from 'node:stream';
import type { ReadTarOptions } from './reader';
import type { TarEntry, WriteHeader } from './types';

import { TarError } from './errors';

export { TarError };
export type { ReadTarOptions } from './reader';
export type { TarEntry, TarEntryType, TarHeader, WriteHeader } from './types';

/* eslint-disable @typescript-eslint/no-require-imports */
const reader = (): typeof import('./reader') => require('./reader');
const writer = (): typeof import('./writer') => require('./writer');
const fields = (): typeof import('./fields') => require('./fields');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Streams the entries of an uncompressed tar; see `./reader.ts`. Errors are `TarError`s. */
export function readTar(source: AsyncIterable<Uint8Array>, archive: string, options?: ReadTarOptions): AsyncGenerator<TarEntry> {
  return reader().readTar(source, archive, options);
}

/** The header block(s) of one entry, PAX extension first when needed. */
export function encodeTarHeader(header: WriteHeader, archive?: string): Buffer {
  return writer().encodeHeader(header, archive);
}

/** Zero bytes that pad `size` bytes of data to a whole block. */
export function tarPadding(size: number): Buffer {
  return fields().padding(size);
}

/** The end-of-archive marker (two zero blocks). */
export function tarTrailer(): Buffer {
  return writer().trailer();
}

/** PAX records (`<len> <key>=<value>\n`) as a map of byte values; a TarError when malformed. */
export function parsePaxRecords(data: Buffer, archive = 'PAX header'): Map<string, Buffer> {
  const f = fields();
  try {
    return f.parsePax(data);
  } catch (err) {
    if (err instanceof f.Malformed) throw new TarError(archive, err.message, {}, { cause: err });
    throw err;
  }
}

/** Writes entries in order into `out`, with backpressure; `finish()` adds the end marker and ends it. */
export interface TarStreamWriter {
  add(header: WriteHeader, body?: Uint8Array | AsyncIterable<Uint8Array>): Promise<void>;
  finish(): Promise<void>;
}

export function createTarWriter(out: Writable, archive?: string): TarStreamWriter {
  return new (writer().TarWriter)(out, archive);
}
