/**
 * A JSON-schema (draft-04) checker that walks a schema table: the tables are generated from the
 * official OCI schemas by scripts/generate.js (every `$ref` resolved to an index in the table,
 * descriptions dropped), and this module knows no OCI document, only the keywords the OCI
 * schemas use. It replaced ajv's standalone code (~500 KiB compiled for config.json, read and
 * compiled at every `create`): a table is a few KiB of JSON.
 *
 * It answers as ajv 8 (draft-04, `allErrors: false`, formats off, `strict: false`) does, to the
 * error: the same keyword order, the first failure of a schema ends its check, and a failed
 * `anyOf`/`oneOf` reports each branch's failure and then its own. spec/test/schema-check.test.ts
 * holds the two side by side on the specs' examples and on mutations of them.
 */

/** One schema of a table, as the generator writes it; `$ref` is an index into the table. */
export interface SchemaNode {
  $ref?: number;
  type?: string | string[];
  enum?: unknown[];
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
  maximum?: number;
  minimum?: number;
  pattern?: string;
  minItems?: number;
  items?: SchemaNode | SchemaNode[];
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
}

/** A document's schema: entry 0 is the root, the others are `$ref` targets. */
export type SchemaTable = SchemaNode[];

/** A failure, shaped as ajv's errors are (the part messages are built from). */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

export type Validate = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

type Errors = SchemaError[] | null;

/** ajv's groups: a group's keywords apply only to data of its type. */
const GROUPS: Record<string, readonly (keyof SchemaNode)[]> = {
  number: ['maximum', 'minimum'],
  string: ['pattern'],
  array: ['minItems', 'items'],
  object: ['required', 'additionalProperties', 'properties', 'patternProperties'],
};

/** A schema node with what a check needs worked out once. */
interface Node {
  src: SchemaNode;
  ref: number;
  /** The allowed types, or null for any. */
  types: string[] | null;
  /**
   * ajv checks a lone type inside its group (after $ref, enum, anyOf, ...) when the schema has
   * keywords of that group, and before everything else otherwise.
   */
  lateType: boolean;
  anyOf: Node[] | null;
  oneOf: Node[] | null;
  allOf: Node[] | null;
  regex: RegExp | null;
  items: Node | Node[] | null;
  additional: Node | boolean | null;
  properties: [string, Node][] | null;
  patterns: [RegExp, Node][] | null;
}

function prepare(src: SchemaNode): Node {
  const types = src.type === undefined ? null : typeof src.type === 'string' ? [src.type] : src.type;
  const group = types?.length === 1 ? GROUPS[types[0]] : undefined;
  const list = (nodes: SchemaNode[] | undefined) => (nodes ? nodes.map(prepare) : null);
  return {
    src,
    ref: src.$ref ?? -1,
    types,
    lateType: group !== undefined && group.some((k) => src[k] !== undefined),
    anyOf: list(src.anyOf),
    oneOf: list(src.oneOf),
    allOf: list(src.allOf),
    // ajv compiles patterns with the `u` flag (its unicodeRegExp default).
    regex: src.pattern === undefined ? null : new RegExp(src.pattern, 'u'),
    items: src.items === undefined ? null : Array.isArray(src.items) ? src.items.map(prepare) : prepare(src.items),
    additional:
      src.additionalProperties === undefined
        ? null
        : typeof src.additionalProperties === 'boolean'
          ? src.additionalProperties
          : prepare(src.additionalProperties),
    properties: src.properties ? Object.entries(src.properties).map(([k, v]) => [k, prepare(v)]) : null,
    patterns: src.patternProperties
      ? Object.entries(src.patternProperties).map(([p, v]) => [new RegExp(p, 'u'), prepare(v)])
      : null,
  };
}

const isObject = (data: unknown): data is Record<string, unknown> =>
  typeof data === 'object' && data !== null && !Array.isArray(data);

function hasType(type: string, data: unknown): boolean {
  switch (type) {
    case 'null':
      return data === null;
    case 'array':
      return Array.isArray(data);
    case 'object':
      return isObject(data);
    case 'integer':
      return typeof data === 'number' && !(data % 1) && !Number.isNaN(data);
    default:
      return typeof data === type;
  }
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

/** A JSON pointer token, escaped as ajv writes it. */
const token = (key: string) => (key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key);

const fail = (instancePath: string, keyword: string, message: string, params: Record<string, unknown>): Errors => [
  { instancePath, keyword, message, params },
];

class Checker {
  constructor(private readonly table: Node[]) {}

  check(node: Node, data: unknown, path: string): Errors {
    const { types, src } = node;
    if (types !== null && !node.lateType && !types.some((t) => hasType(t, data))) return this.typeError(node, path);
    let errs: Errors;
    if (node.ref >= 0 && (errs = this.check(this.table[node.ref], data, path))) return errs;
    if (src.enum !== undefined && !src.enum.some((v) => equal(data, v))) {
      return fail(path, 'enum', 'must be equal to one of the allowed values', { allowedValues: src.enum });
    }
    if (node.anyOf !== null && (errs = this.anyOf(node.anyOf, data, path))) return errs;
    if (node.oneOf !== null && (errs = this.oneOf(node.oneOf, data, path))) return errs;
    if (node.allOf !== null) {
      for (const sub of node.allOf) if ((errs = this.check(sub, data, path))) return errs;
    }
    const late = node.lateType ? types![0] : null;
    if (typeof data === 'number') {
      if (src.maximum !== undefined && (data > src.maximum || Number.isNaN(data))) {
        return fail(path, 'maximum', `must be <= ${src.maximum}`, { comparison: '<=', limit: src.maximum });
      }
      if (src.minimum !== undefined && (data < src.minimum || Number.isNaN(data))) {
        return fail(path, 'minimum', `must be >= ${src.minimum}`, { comparison: '>=', limit: src.minimum });
      }
    } else if (late === 'number') return this.typeError(node, path);
    if (typeof data === 'string') {
      if (node.regex !== null && !node.regex.test(data)) {
        return fail(path, 'pattern', `must match pattern "${src.pattern}"`, { pattern: src.pattern });
      }
    } else if (late === 'string') return this.typeError(node, path);
    if (Array.isArray(data)) {
      if ((errs = this.array(node, data, path))) return errs;
    } else if (late === 'array') return this.typeError(node, path);
    if (isObject(data)) {
      if ((errs = this.object(node, data, path))) return errs;
    } else if (late === 'object') return this.typeError(node, path);
    return null;
  }

  private typeError(node: Node, path: string): Errors {
    const type = node.src.type!;
    return fail(path, 'type', `must be ${String(type)}`, { type });
  }

  private anyOf(branches: Node[], data: unknown, path: string): Errors {
    const errs: SchemaError[] = [];
    for (const branch of branches) {
      const e = this.check(branch, data, path);
      if (e === null) return null;
      errs.push(...e);
    }
    errs.push({ instancePath: path, keyword: 'anyOf', message: 'must match a schema in anyOf', params: {} });
    return errs;
  }

  /** ajv's loop as it is: a third passing branch makes a oneOf valid again. */
  private oneOf(branches: Node[], data: unknown, path: string): Errors {
    const errs: SchemaError[] = [];
    let valid = false;
    let passing: number | [number, number] | null = null;
    branches.forEach((branch, i) => {
      const e = this.check(branch, data, path);
      if (e !== null) errs.push(...e);
      if (i > 0 && e === null && valid) {
        valid = false;
        passing = [passing as number, i];
      } else if (e === null) {
        valid = true;
        passing = i;
      }
    });
    if (valid) return null;
    errs.push({
      instancePath: path,
      keyword: 'oneOf',
      message: 'must match exactly one schema in oneOf',
      params: { passingSchemas: passing },
    });
    return errs;
  }

  private array(node: Node, data: unknown[], path: string): Errors {
    const { minItems } = node.src;
    if (minItems !== undefined && data.length < minItems) {
      return fail(path, 'minItems', `must NOT have fewer than ${minItems} items`, { limit: minItems });
    }
    const { items } = node;
    if (items === null) return null;
    const n = Array.isArray(items) ? Math.min(items.length, data.length) : data.length;
    for (let i = 0; i < n; i++) {
      const errs = this.check(Array.isArray(items) ? items[i] : items, data[i], `${path}/${i}`);
      if (errs) return errs;
    }
    return null;
  }

  private object(node: Node, data: Record<string, unknown>, path: string): Errors {
    const { required } = node.src;
    if (required !== undefined) {
      for (const key of required) {
        if (data[key] === undefined) {
          return fail(path, 'required', `must have required property '${key}'`, { missingProperty: key });
        }
      }
    }
    const { additional, properties, patterns } = node;
    let errs: Errors;
    if (additional !== null && additional !== true) {
      // ajv walks keys with for-in, as here.
      for (const key in data) {
        if (node.src.properties !== undefined && Object.prototype.hasOwnProperty.call(node.src.properties, key)) continue;
        if (patterns?.some(([re]) => re.test(key))) continue;
        if (additional === false) {
          return fail(path, 'additionalProperties', 'must NOT have additional properties', {
            additionalProperty: key,
          });
        }
        if ((errs = this.check(additional, data[key], `${path}/${token(key)}`))) return errs;
      }
    }
    if (properties !== null) {
      for (const [key, sub] of properties) {
        if (data[key] !== undefined && (errs = this.check(sub, data[key], `${path}/${token(key)}`))) return errs;
      }
    }
    if (patterns !== null) {
      for (const [re, sub] of patterns) {
        for (const key in data) {
          if (re.test(key) && (errs = this.check(sub, data[key], `${path}/${token(key)}`))) return errs;
        }
      }
    }
    return null;
  }
}

/** A validator with ajv's calling convention (`errors` set after a failed call). */
export function tableValidator(table: SchemaTable): Validate {
  const nodes = table.map(prepare);
  const checker = new Checker(nodes);
  const validate: Validate = (data: unknown) => {
    validate.errors = checker.check(nodes[0], data, '');
    return validate.errors === null;
  };
  return validate;
}
