/**
 * A JSON-schema (draft-04) checker that walks a schema table: the tables are generated from the
 * official OCI schemas by scripts/generate.js (every `$ref` resolved to an index in the table,
 * annotations dropped), and this module knows no OCI document, only the keywords the OCI
 * schemas use. It replaced ajv's standalone code (~500 KiB compiled for config.json, read at
 * every `create`): a table is ~10 KiB of JSON, and the checker is the same for all of them.
 *
 * It answers as ajv 8 (draft-04, `allErrors: false`, formats off, `strict: false`) does, to the
 * error: the same keyword order, the first failure of a schema ends its check, and a failed
 * `anyOf`/`oneOf` reports each branch's failure and then its own. spec/test/schema-check.test.ts
 * holds the two side by side on the specs' examples, sampled documents and mutations of them.
 *
 * Nodes are arrays by position rather than objects: a start-up parses and walks a table once,
 * cold, and V8 parses arrays of one shape faster than objects of a hundred shapes.
 */

/**
 * One schema, by position (the generator drops trailing nulls; the most used keywords first).
 * A child schema is the index of its node in the table: the generator keeps identical nodes
 * once and turns a bare `$ref` into its target's index.
 * 0 type (a name, a list of names, or null); 1 late: 1 where ajv checks a lone type inside its
 * keyword group (the schema has keywords of that type's group) instead of first; 2 `$ref` (with
 * other keywords beside it); 3 properties: [name, node, name, node, ...]; 4 required; 5 items:
 * a node, or `{ tuple: [node, ...] }`; 6 minimum; 7 maximum; 8 pattern: an index into the
 * table's patterns; 9 enum; 10 additionalProperties: a boolean or a node;
 * 11 patternProperties: [pattern index, node, ...]; 12 minItems; 13 anyOf; 14 oneOf; 15 allOf.
 */
export type SchemaNode = [
  type?: string | string[] | null,
  late?: 0 | 1 | null,
  ref?: number | null,
  properties?: (string | number)[] | null,
  required?: string[] | null,
  items?: number | { tuple: number[] } | null,
  minimum?: number | null,
  maximum?: number | null,
  pattern?: number | null,
  enumValues?: unknown[] | null,
  additionalProperties?: boolean | number | null,
  patternProperties?: number[] | null,
  minItems?: number | null,
  anyOf?: number[] | null,
  oneOf?: number[] | null,
  allOf?: number[] | null,
];

/** A document's schema: its nodes, the root's index, and the patterns they use. */
export interface SchemaTable {
  patterns: string[];
  root: number;
  nodes: SchemaNode[];
}

/** A failure, shaped as ajv's errors are (the part messages are built from). */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

export type Validate = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

type Errors = SchemaError[] | null;

const isObject = (data: unknown): data is Record<string, unknown> =>
  typeof data === 'object' && data !== null && !Array.isArray(data);

function hasType(type: string, data: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof data === 'string';
    case 'object':
      return isObject(data);
    case 'integer':
      return typeof data === 'number' && !(data % 1) && !Number.isNaN(data);
    case 'array':
      return Array.isArray(data);
    case 'null':
      return data === null;
    default:
      return typeof data === type;
  }
}

function hasTypes(type: string | string[], data: unknown): boolean {
  if (typeof type === 'string') return hasType(type, data);
  for (let i = 0; i < type.length; i++) if (hasType(type[i], data)) return true;
  return false;
}

/** fast-deep-equal's answer, which ajv's `enum` uses. */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a !== a && b !== b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal(ra[k], rb[k]));
}

/** A key as a JSON pointer token, escaped as ajv writes it (property names in a schema need none: the generator checks). */
const token = (key: string) =>
  key.indexOf('~') < 0 && key.indexOf('/') < 0 ? key : key.replace(/~/g, '~0').replace(/\//g, '~1');

const fail = (instancePath: string, keyword: string, message: string, params: Record<string, unknown>): Errors => [
  { instancePath, keyword, message, params },
];

const typeError = (type: string | string[], path: string): Errors =>
  fail(path, 'type', `must be ${String(type)}`, { type });

class Checker {
  private readonly regexes: (RegExp | undefined)[] = [];

  constructor(private readonly table: SchemaTable) {}

  /** ajv compiles patterns with the `u` flag (its unicodeRegExp default); here on first use. */
  private regex(i: number): RegExp {
    return (this.regexes[i] ??= new RegExp(this.table.patterns[i], 'u'));
  }

  check(at: number, data: unknown, path: string): Errors {
    const n = this.table.nodes[at];
    const type = n[0];
    if (type != null && n[1] !== 1 && !hasTypes(type, data)) return typeError(type, path);
    // A late type with nothing else but a format (which is not checked): its check is all.
    if (n.length <= 2) return n[1] === 1 && !hasTypes(type!, data) ? typeError(type!, path) : null;
    // ajv's order: $ref, enum, anyOf, oneOf, allOf, then each type's group.
    let errs: Errors;
    const ref = n[2];
    if (ref != null && (errs = this.check(ref, data, path)) !== null) return errs;
    const values = n[9];
    if (values != null && !this.inEnum(values, data)) {
      return fail(path, 'enum', 'must be equal to one of the allowed values', { allowedValues: values });
    }
    if (n[13] != null && (errs = this.anyOf(n[13], data, path)) !== null) return errs;
    if (n[14] != null && (errs = this.oneOf(n[14], data, path)) !== null) return errs;
    const allOf = n[15];
    if (allOf != null) {
      for (let i = 0; i < allOf.length; i++) if ((errs = this.check(allOf[i], data, path)) !== null) return errs;
    }
    const late = n[1] === 1 ? (type as string) : null;
    if (typeof data === 'number') {
      const max = n[7];
      if (max != null && (data > max || Number.isNaN(data))) {
        return fail(path, 'maximum', `must be <= ${max}`, { comparison: '<=', limit: max });
      }
      const min = n[6];
      if (min != null && (data < min || Number.isNaN(data))) {
        return fail(path, 'minimum', `must be >= ${min}`, { comparison: '>=', limit: min });
      }
    } else if (late === 'number') return typeError(late, path);
    if (typeof data === 'string') {
      const p = n[8];
      if (p != null && !this.regex(p).test(data)) {
        const pattern = this.table.patterns[p];
        return fail(path, 'pattern', `must match pattern "${pattern}"`, { pattern });
      }
    } else if (late === 'string') return typeError(late, path);
    if (Array.isArray(data)) {
      if ((errs = this.array(n, data, path)) !== null) return errs;
    } else if (late === 'array') return typeError(late, path);
    if (isObject(data)) {
      if ((errs = this.object(n, data, path)) !== null) return errs;
    } else if (late === 'object') return typeError(late, path);
    return null;
  }

  private inEnum(values: unknown[], data: unknown): boolean {
    for (let i = 0; i < values.length; i++) if (values[i] === data || equal(data, values[i])) return true;
    return false;
  }

  private anyOf(branches: number[], data: unknown, path: string): Errors {
    const errs: SchemaError[] = [];
    for (let i = 0; i < branches.length; i++) {
      const e = this.check(branches[i], data, path);
      if (e === null) return null;
      errs.push(...e);
    }
    errs.push({ instancePath: path, keyword: 'anyOf', message: 'must match a schema in anyOf', params: {} });
    return errs;
  }

  /** ajv's loop: it stops at the second passing branch. */
  private oneOf(branches: number[], data: unknown, path: string): Errors {
    const errs: SchemaError[] = [];
    let valid = false;
    let passing: number | [number, number] | null = null;
    for (let i = 0; i < branches.length; i++) {
      const e = this.check(branches[i], data, path);
      if (e !== null) errs.push(...e);
      else if (valid) {
        valid = false;
        passing = [passing as number, i];
        break;
      } else {
        valid = true;
        passing = i;
      }
    }
    if (valid) return null;
    errs.push({
      instancePath: path,
      keyword: 'oneOf',
      message: 'must match exactly one schema in oneOf',
      params: { passingSchemas: passing },
    });
    return errs;
  }

  private array(n: SchemaNode, data: unknown[], path: string): Errors {
    const minItems = n[12];
    if (minItems != null && data.length < minItems) {
      return fail(path, 'minItems', `must NOT have fewer than ${minItems} items`, { limit: minItems });
    }
    const items = n[5];
    if (items == null) return null;
    let errs: Errors;
    if (typeof items !== 'number') {
      // A tuple: the first items each against their own schema, the rest free.
      const { tuple } = items;
      const len = Math.min(tuple.length, data.length);
      for (let i = 0; i < len; i++) if ((errs = this.check(tuple[i], data[i], `${path}/${i}`)) !== null) return errs;
      return null;
    }
    for (let i = 0; i < data.length; i++) {
      if ((errs = this.check(items, data[i], `${path}/${i}`)) !== null) return errs;
    }
    return null;
  }

  private object(n: SchemaNode, data: Record<string, unknown>, path: string): Errors {
    const required = n[4];
    if (required != null) {
      for (let i = 0; i < required.length; i++) {
        const key = required[i];
        if (data[key] === undefined) {
          return fail(path, 'required', `must have required property '${key}'`, { missingProperty: key });
        }
      }
    }
    const additional = n[10];
    const properties = n[3];
    const patterns = n[11];
    let errs: Errors;
    if (additional != null && additional !== true) {
      // ajv walks keys with for-in, as here.
      for (const key in data) {
        // Names are at even places and nodes are numbers: any match is a name.
        if (properties != null && properties.indexOf(key) >= 0) continue;
        if (patterns != null && this.matchesAny(patterns, key)) continue;
        if (additional === false) {
          return fail(path, 'additionalProperties', 'must NOT have additional properties', { additionalProperty: key });
        }
        if ((errs = this.check(additional, data[key], `${path}/${token(key)}`)) !== null) return errs;
      }
    }
    if (properties != null) {
      for (let i = 0; i < properties.length; i += 2) {
        const key = properties[i] as string;
        const value = data[key];
        if (value !== undefined && (errs = this.check(properties[i + 1] as number, value, `${path}/${key}`)) !== null) {
          return errs;
        }
      }
    }
    if (patterns != null) {
      for (let i = 0; i < patterns.length; i += 2) {
        const re = this.regex(patterns[i]);
        for (const key in data) {
          if (re.test(key) && (errs = this.check(patterns[i + 1], data[key], `${path}/${token(key)}`)) !== null) {
            return errs;
          }
        }
      }
    }
    return null;
  }

  private matchesAny(patterns: number[], key: string): boolean {
    for (let i = 0; i < patterns.length; i += 2) if (this.regex(patterns[i]).test(key)) return true;
    return false;
  }
}

/** A validator with ajv's calling convention (`errors` set after a failed call). */
export function tableValidator(table: SchemaTable): Validate {
  const checker = new Checker(table);
  const { root } = table;
  const validate: Validate = (data: unknown) => {
    validate.errors = checker.check(root, data, '');
    return validate.errors === null;
  };
  return validate;
}
