// The generated schema tables, walked by schema-check, must answer as ajv (the validator they
// replaced) answers on the official schemas: the same verdict and the same errors, on the
// specs' examples, on documents sampled from the schemas, and on every one-value mutation of
// those. ajv compiles the schemas here, at test time, with the options the old generator used.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv-draft-04';
import type { SchemaNode, SchemaTable } from '../src/schema-check';
import { tableValidator } from '../src/schema-check';
import { table as specTable } from '../src/generated/schema-spec';
import { table as stateTable } from '../src/generated/schema-state';
import { table as featuresTable } from '../src/generated/schema-features';
import { table as manifestTable } from '../src/generated/schema-image-manifest';
import { table as indexTable } from '../src/generated/schema-image-index';
import { table as imageConfigTable } from '../src/generated/schema-image-config';
import { table as layoutTable } from '../src/generated/schema-image-layout';
import { table as descriptorTable } from '../src/generated/schema-descriptor';

const SCHEMAS = path.resolve(__dirname, '../../../shared/oci-schemas');
const RUNTIME = path.join(SCHEMAS, 'runtime-spec-v1.3.0');
const IMAGE = path.join(SCHEMAS, 'image-spec-v1.1.1');

/** ajv as scripts/generate.js used it before the tables (the same two repairs of the schemas). */
function reference(): Ajv {
  const repair = (node: unknown, parentKey?: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => repair(n));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'id' && typeof value === 'string' && parentKey !== 'properties') continue;
      if (key === '$schema') continue;
      out[key] = key === '$ref' && typeof value === 'string' ? value.replace(/#(?!\/|$)/, '#/') : repair(value, key);
    }
    return out;
  };
  const ajv = new Ajv({ strict: false, validateFormats: false, inlineRefs: false });
  for (const dir of [RUNTIME, IMAGE]) {
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      const file = path.join(dir, name);
      ajv.addSchema(repair(JSON.parse(fs.readFileSync(file, 'utf8'))) as object, `file:///oci/${path.relative(SCHEMAS, file)}`);
    }
  }
  return ajv;
}

const DOCUMENTS: [string, string, SchemaTable, string | null][] = [
  ['runtime config', 'runtime-spec-v1.3.0/config-schema.json', specTable, 'config'],
  ['runtime state', 'runtime-spec-v1.3.0/state-schema.json', stateTable, 'state'],
  ['runtime features', 'runtime-spec-v1.3.0/features-schema.json', featuresTable, 'features'],
  ['image manifest', 'image-spec-v1.1.1/image-manifest-schema.json', manifestTable, null],
  ['image index', 'image-spec-v1.1.1/image-index-schema.json', indexTable, null],
  ['image config', 'image-spec-v1.1.1/config-schema.json', imageConfigTable, null],
  ['image layout', 'image-spec-v1.1.1/image-layout-schema.json', layoutTable, null],
  ['descriptor', 'image-spec-v1.1.1/content-descriptor.json', descriptorTable, null],
];

/** A small seeded PRNG (mulberry32): the same documents at every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Strings a pattern in the OCI schemas accepts (the sampler takes the first that matches).
const STRINGS = [
  'x',
  '1.3.0',
  'RLIMIT_NOFILE',
  '2MB',
  'c',
  '0-3',
  'MB:0=1',
  `sha256:${'a'.repeat(64)}`,
  'application/vnd.oci.image.layer.v1.tar+gzip',
  '',
];

/** A document drawn from a table: often valid, and reaching every section of the schema. */
function sample(table: SchemaTable, at: number, next: () => number, depth = 0): unknown {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  const pairs = <K>(list: (K | number)[] | null | undefined) =>
    Array.from({ length: (list?.length ?? 0) / 2 }, (_, i) => [list![2 * i] as K, list![2 * i + 1] as number] as const);
  const [type, , ref, properties, required, items, minimum, maximum, pattern, values, additional, patterns, minItems, anyOf, oneOf, allOf] =
    table.nodes[at];
  if (ref != null) return sample(table, ref, next, depth);
  if (values != null) return pick(values);
  if (oneOf != null) return sample(table, pick(oneOf), next, depth);
  if (anyOf != null) return sample(table, pick(anyOf), next, depth);
  switch (Array.isArray(type) ? pick(type) : type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, sub] of pairs<string>(properties)) {
        if (required?.includes(key) || (depth < 6 && next() < 0.6)) out[key] = sample(table, sub, next, depth + 1);
      }
      for (const [, sub] of pairs<number>(patterns)) out[`k${depth}.x`] = sample(table, sub, next, depth + 1);
      if (typeof additional === 'number') out.extra = sample(table, additional, next, depth + 1);
      for (const sub of allOf ?? []) Object.assign(out, sample(table, sub, next, depth));
      return out;
    }
    case 'array': {
      const n = Math.max(minItems ?? 0, Math.floor(next() * 3));
      return Array.from({ length: n }, (_, i) => {
        if (items == null) return i;
        if (typeof items === 'number') return sample(table, items, next, depth + 1);
        return i < items.tuple.length ? sample(table, items.tuple[i], next, depth + 1) : i;
      });
    }
    case 'string': {
      const re = pattern == null ? null : new RegExp(table.patterns[pattern], 'u');
      return STRINGS.find((s) => re === null || re.test(s)) ?? 'x';
    }
    case 'integer': {
      const lo = minimum ?? -5;
      const hi = maximum ?? 7;
      return pick([lo, hi, 0, 1].filter((n) => n >= lo && n <= hi));
    }
    case 'number':
      return 0.5;
    case 'boolean':
      return next() < 0.5;
    case 'null':
      return null;
    default:
      return pick([1, 'x', null]);
  }
}

// What each value in turn is replaced by (REMOVE: the key is removed; undefined stays, as a
// document built in-process may have it).
const REMOVE = Symbol('remove');
const REPLACEMENTS: unknown[] = [
  REMOVE,
  undefined,
  null,
  true,
  0,
  -1,
  1.5,
  4294967296,
  18446744073709552000,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '',
  'x',
  '64kB',
  [],
  ['x'],
  [{}],
  {},
  { 'a/b~c': 1 },
];

type Path = (string | number)[];

function paths(value: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...at, i], out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) paths(v, [...at, k], out);
  }
  return out;
}

/** The document with the value at `at` replaced (or removed), and an unknown key added there. */
function mutations(doc: unknown, at: Path): unknown[] {
  const out: unknown[] = [];
  const set = (replacement: unknown, add?: string) => {
    if (at.length === 0) {
      if (add === undefined && replacement !== REMOVE) out.push(replacement);
      return;
    }
    const copy = structuredClone(doc) as Record<string | number, unknown>;
    const parent = at.slice(0, -1).reduce<Record<string | number, unknown>>((n, k) => n[k] as Record<string | number, unknown>, copy);
    const key = at[at.length - 1];
    if (add !== undefined) {
      const target = parent[key];
      if (target === null || typeof target !== 'object' || Array.isArray(target)) return;
      (target as Record<string, unknown>)[add] = replacement;
    } else if (replacement === REMOVE) {
      if (Array.isArray(parent)) return;
      delete parent[key];
    }
    else parent[key] = replacement;
    out.push(copy);
  };
  for (const r of REPLACEMENTS) set(r);
  set(1, 'bogus');
  set({}, 'eth0.1');
  return out;
}

describe.each(DOCUMENTS)('%s: the table answers as ajv', (_what, schema, table, examples) => {
  const ajv = reference().getSchema(`file:///oci/${schema}`)!;
  const ours = tableValidator(table);
  const verdict = (doc: unknown) => {
    const ok = ajv(doc);
    const errors = (ajv.errors ?? null)?.map(({ instancePath, keyword, message, params }) => ({ instancePath, keyword, message, params })) ?? null;
    return { ok, errors };
  };
  const same = (doc: unknown) => {
    const ok = ours(doc);
    const theirs = verdict(doc);
    // expect() on each of ~100k documents is slow: compare first, report a difference in full.
    if (ok !== theirs.ok || JSON.stringify(ours.errors) !== JSON.stringify(theirs.errors)) {
      expect({ doc, ok, errors: ours.errors }).toEqual({ doc, ...theirs });
    }
    return ok;
  };

  const seeds: unknown[] = [];
  if (examples !== null) {
    for (const verdict of ['good', 'bad']) {
      const dir = path.join(RUNTIME, 'test', examples, verdict);
      for (const name of fs.readdirSync(dir)) {
        try {
          seeds.push(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
        } catch {
          // invalid-json.json: the JSON parser's case, not the schema's
        }
      }
    }
  }
  const next = random(42);
  for (let i = 0; i < 20; i++) seeds.push(sample(table, table.root, next));

  test('the examples and the sampled documents', () => {
    let valid = 0;
    for (const doc of seeds) if (same(doc)) valid++;
    // The sampler must mostly hit valid documents, else the mutations below test little.
    expect(valid).toBeGreaterThan(seeds.length / 2);
  });

  test('every one-value mutation of them', () => {
    let n = 0;
    let invalid = 0;
    for (const seed of seeds) {
      for (const at of paths(seed)) {
        for (const doc of mutations(seed, at)) {
          n++;
          if (!same(doc)) invalid++;
        }
      }
    }
    expect(n).toBeGreaterThan(100);
    expect(invalid).toBeGreaterThan(n / 10);
  });
});

// Keyword combinations the OCI schemas do not have (today), through the generator and ajv alike.
describe('schemas beyond the OCI ones: the generator and checker answer as ajv', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { schemaTable } = require('../scripts/generate.js') as { schemaTable: (file: string) => SchemaTable };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `berth-schema-${process.pid}-`));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cases: [string, object, unknown[]][] = [
    ['a late type after enum', { type: 'string', pattern: '^a', enum: ['a', 'b'] }, ['a', 'b', 'c', 5, null]],
    ['a late object after anyOf', { type: 'object', required: ['x'], anyOf: [{ required: ['a'] }, { required: ['b'] }] }, [{}, { x: 1 }, { x: 1, a: 1 }, 5, []]],
    ['tuple items', { type: 'array', minItems: 1, items: [{ type: 'string' }, { type: 'integer' }] }, [[], ['a'], ['a', 1], ['a', 'b'], [1], ['a', 1, 'x'], {}]],
    [
      'no additional properties beside properties and patterns',
      { properties: { a: { type: 'string' } }, patternProperties: { '^x-': { type: 'integer' } }, additionalProperties: false },
      [{}, { a: 's' }, { a: 1 }, { 'x-1': 2 }, { 'x-1': 's' }, { b: 1 }, { 'a/b~c': 1 }, 'free'],
    ],
    ['additional properties against a schema', { additionalProperties: { type: 'boolean' } }, [{ a: true }, { 'a~b/c': 1 }, { a: undefined }]],
    ['a list of types', { type: ['string', 'null'] }, ['s', null, 1, [], {}]],
    ['oneOf, three branches', { oneOf: [{ type: 'number' }, { type: 'integer' }, { minimum: 0 }] }, [1, -1, 1.5, -1.5, 'x']],
    ['$ref beside other keywords', { definitions: { d: { type: 'string' } }, $ref: '#/definitions/d', enum: ['q', 1] }, ['q', 'r', 1]],
    ['allOf', { allOf: [{ type: 'object' }, { required: ['a'] }] }, [{}, { a: 1 }, 5]],
    ['integer bounds', { type: 'integer', minimum: 0, maximum: 10 }, [0, 10, 11, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1']],
    ['a number minimum', { type: 'number', minimum: 0 }, [0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]],
    ['enum of objects and arrays', { enum: [{ a: 1 }, [1, 2], 's'] }, [{ a: 1 }, { a: 2 }, { a: 1, b: 1 }, [1, 2], [2, 1], 's', null]],
    ['a format beside a lone type', { type: 'string', format: 'uri' }, ['not a uri', 5]],
  ];
  test.each(cases)('%s', (name, schema, docs) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(schema));
    const ours = tableValidator(schemaTable(file));
    const ajv = new Ajv({ strict: false, validateFormats: false, inlineRefs: false }).compile(schema);
    for (const doc of docs) {
      const ok = ajv(doc);
      const errors = ajv.errors?.map(({ instancePath, keyword, message, params }) => ({ instancePath, keyword, message, params })) ?? null;
      expect({ doc, ok: ours(doc), errors: ours.errors }).toEqual({ doc, ok, errors });
    }
  });
});

test('a oneOf with two passing branches fails as in ajv, and names them', () => {
  const oneOf: SchemaNode = [];
  oneOf[14] = [1, 2];
  const v = tableValidator({ patterns: [], root: 0, nodes: [oneOf, ['integer'], ['number']] });
  expect(v(1)).toBe(false);
  expect(v.errors).toEqual([
    { instancePath: '', keyword: 'oneOf', message: 'must match exactly one schema in oneOf', params: { passingSchemas: [0, 1] } },
  ]);
  expect(v(1.5)).toBe(true);
});
