/**
 * Decoders for the OCI documents: parse JSON (or take a parsed value), check it against its
 * official schema, and return it typed, or throw a ValidationError that names the JSON path
 * and what was expected. Nothing half-valid is ever returned.
 *
 * Each validator is a schema table generated with the types (scripts/generate.js) and walked by
 * ./schema-check, loaded on first use so that importing @berth/spec stays cheap.
 */
import { ValidationError } from './errors';
import type { SchemaError, SchemaTable, Validate } from './schema-check';
import type { Spec, State } from './generated/runtime';
import type { Features } from './generated/runtime-features';
import type { Descriptor, ImageConfig, ImageIndex, ImageLayout, ImageManifest } from './generated/image';

export interface Decoder<T> {
  /** Parses JSON text (or bytes) and checks it; `source` (a file name) goes into errors. */
  parse(text: string | Uint8Array, source?: string): T;
  /** Checks an already parsed value. */
  check(value: unknown, source?: string): T;
}

function decoder<T>(what: string, load: () => Validate): Decoder<T> {
  let validate: Validate | undefined;
  const label = (source?: string) => (source ? `${what} ${source}` : what);
  const check = (value: unknown, source?: string): T => {
    validate ??= load();
    if (validate(value)) return value as T;
    throw new ValidationError(label(source), describe(validate.errors ?? []));
  };
  return {
    check,
    parse(text, source) {
      const str = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
      let value: unknown;
      try {
        value = JSON.parse(str);
      } catch (err) {
        throw new ValidationError(label(source), [jsonErrorAt(str, err as Error)], { cause: err });
      }
      return check(value, source);
    },
  };
}

/** `/process/args/0` → `$.process.args[0]`; keys that are not identifiers are quoted. */
export function jsonPath(pointer: string): string {
  let out = '$';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

function describe(errors: readonly SchemaError[]): string[] {
  const problems = errors.map((e) => {
    let path = jsonPath(e.instancePath);
    let message = e.message ?? e.keyword;
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
      path = jsonPath(`${e.instancePath}/${e.params.additionalProperty}`);
      message = 'is not allowed here';
    } else if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) {
      message = `must be one of ${e.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    return `${path}: ${message}`;
  });
  return [...new Set(problems)];
}

/** V8's JSON errors give a character position; people want a line and a column. */
function jsonErrorAt(text: string, err: Error): string {
  const match = /at position (\d+)/.exec(err.message);
  const reason = err.message.replace(/ in JSON at position \d+.*$/, '');
  if (!match) return `invalid JSON: ${reason}`;
  const pos = Number(match[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `invalid JSON at line ${line}, column ${column}: ${reason}`;
}

// Lazy requires keep the checker and each table out of start-up until the document it checks
// is first decoded.
/* eslint-disable @typescript-eslint/no-require-imports */
const load = (get: () => { table: SchemaTable }) => (): Validate =>
  (require('./schema-check') as typeof import('./schema-check')).tableValidator(get().table);

export const runtimeConfig = decoder<Spec>('runtime config', load(() => require('./generated/schema-spec')));
export const runtimeState = decoder<State>('runtime state', load(() => require('./generated/schema-state')));
export const runtimeFeatures = decoder<Features>('runtime features', load(() => require('./generated/schema-features')));
export const imageManifest = decoder<ImageManifest>(
  'image manifest',
  load(() => require('./generated/schema-image-manifest')),
);
export const imageIndex = decoder<ImageIndex>('image index', load(() => require('./generated/schema-image-index')));
export const imageConfig = decoder<ImageConfig>('image config', load(() => require('./generated/schema-image-config')));
export const imageLayout = decoder<ImageLayout>('image layout', load(() => require('./generated/schema-image-layout')));
export const descriptor = decoder<Descriptor>('descriptor', load(() => require('./generated/schema-descriptor')));
/* eslint-enable @typescript-eslint/no-require-imports */
