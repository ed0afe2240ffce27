#!/usr/bin/env node
// Generates the OCI TypeScript types in spec/src/generated/ from the official JSON schemas
// in ../shared/oci-schemas/ with quicktype. `npm run generate -w @berth/spec` rewrites them;
// `node scripts/generate.js OUTDIR` writes elsewhere (the drift test compares the two).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { quicktype, InputData, JSONSchemaInput, JSONSchemaStore } = require('quicktype-core');

const SCHEMAS = path.resolve(__dirname, '../../../shared/oci-schemas');
const RUNTIME = path.join(SCHEMAS, 'runtime-spec-v1.3.0');
const IMAGE = path.join(SCHEMAS, 'image-spec-v1.1.1');
const IMAGE_ID = 'https://opencontainers.org/schema/image/';

/**
 * One generated file per specification, so that types the schemas share (a descriptor, a
 * mount) are emitted once. `top` names each document's root type.
 */
const TARGETS = [
  {
    file: 'runtime.ts',
    sources: [
      { top: 'Spec', schema: path.join(RUNTIME, 'config-schema.json') },
      { top: 'State', schema: path.join(RUNTIME, 'state-schema.json') },
    ],
  },
  // Apart: its `linux` section reuses the config's names for other shapes.
  { file: 'runtime-features.ts', sources: [{ top: 'Features', schema: path.join(RUNTIME, 'features-schema.json') }] },
  {
    file: 'image.ts',
    sources: [
      { top: 'ImageManifest', schema: path.join(IMAGE, 'image-manifest-schema.json') },
      { top: 'ImageIndex', schema: path.join(IMAGE, 'image-index-schema.json') },
      { top: 'ImageConfig', schema: path.join(IMAGE, 'config-schema.json') },
      { top: 'ImageLayout', schema: path.join(IMAGE, 'image-layout-schema.json') },
      { top: 'Descriptor', schema: path.join(IMAGE, 'content-descriptor.json') },
    ],
  },
];

/** The root type's name for each document (quicktype names types after titles). */
const TITLES = new Map(TARGETS.flatMap((t) => t.sources.map((s) => [s.schema, s.top])));

/** Names for inner types that several platforms define alike (else quicktype invents "PurpleCPU"). */
const INNER_TITLES = [
  ['config-linux.json', ['linux', 'properties', 'resources', 'properties', 'cpu'], 'LinuxCPU'],
  ['config-linux.json', ['linux', 'properties', 'resources', 'properties', 'memory'], 'LinuxMemory'],
  ['config-windows.json', ['windows', 'properties', 'resources', 'properties', 'cpu'], 'WindowsCPU'],
  ['config-windows.json', ['windows', 'properties', 'resources', 'properties', 'memory'], 'WindowsMemory'],
  ['defs-linux.json', ['definitions', 'NamespaceType'], 'LinuxNamespaceType'],
  ['defs-zos.json', ['definitions', 'NamespaceType'], 'ZosNamespaceType'],
];

/**
 * Two adjustments, both about naming and representation, none about shape: JSON carries
 * date-times as strings, so `format: date-time` must not become a JS Date; and each root
 * document gets the title that names its type.
 */
function adjust(file, schema) {
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    if (node.format === 'date-time') delete node.format;
    Object.values(node).forEach(visit);
  };
  visit(schema);
  const title = TITLES.get(file);
  if (title) schema.title = title;
  for (const [base, pointer, inner] of INNER_TITLES) {
    if (path.basename(file) !== base) continue;
    const node = pointer.reduce((n, key) => n?.[key], schema);
    if (!node) throw new Error(`${base}: no ${pointer.join('/')} to name ${inner}`);
    node.title = inner;
  }
  return schema;
}

/** Resolves schema addresses to the local copies: never the network. */
class LocalSchemaStore extends JSONSchemaStore {
  async fetch(address) {
    let file = address.startsWith(IMAGE_ID) ? path.join(IMAGE, address.slice(IMAGE_ID.length)) : address;
    if (file.startsWith('file://')) file = new URL(file).pathname;
    if (!path.isAbsolute(file)) throw new Error(`schema reference outside the local schemas: ${address}`);
    return adjust(file, JSON.parse(fs.readFileSync(file, 'utf8')));
  }
}

async function generate(target) {
  const input = new JSONSchemaInput(new LocalSchemaStore());
  for (const source of target.sources) {
    const schema = JSON.stringify(adjust(source.schema, JSON.parse(fs.readFileSync(source.schema, 'utf8'))));
    await input.addSource({ name: source.top, schema, uris: [source.schema] });
  }
  const data = new InputData();
  data.addInput(input);
  const result = await quicktype({
    inputData: data,
    lang: 'typescript',
    rendererOptions: { 'just-types': 'true', 'prefer-unions': 'true', 'prefer-types': 'false' },
    leadingComments: [
      `Generated with quicktype by spec/scripts/generate.js from the OCI schemas (Apache-2.0): ${target.sources
        .map((s) => path.relative(SCHEMAS, s.schema))
        .join(', ')}. Do not edit: run \`npm run generate -w @berth/spec\`.`,
    ],
  });
  return result.lines.join('\n') + '\n';
}

/**
 * Validators: each root schema becomes a table (spec/src/schema-check.ts walks it): the schema's
 * validation keywords with every `$ref` replaced by the index of its target in the table, so
 * the checker resolves nothing and the schemas need not ship. A few KiB of JSON instead of
 * ajv's standalone code (500 KiB for config.json, read and compiled at every `create`).
 * References resolve against the file they are written in, as Go's gojsonschema (which the
 * spec's own tests use) does: nested draft-04 `id`s are ignored and `#definitions/x` pointers
 * get their missing slash. A keyword the checker does not know stops the generation.
 */
// Where each keyword goes in a node (see SchemaNode in spec/src/schema-check.ts).
const PLACE = {
  type: 0,
  $ref: 2,
  properties: 3,
  required: 4,
  items: 5,
  minimum: 6,
  maximum: 7,
  pattern: 8,
  enum: 9,
  additionalProperties: 10,
  patternProperties: 11,
  minItems: 12,
  anyOf: 13,
  oneOf: 14,
  allOf: 15,
};
// ajv's keyword groups (formats included: ajv counts the keyword even with formats off), for
// where it checks a lone type: inside its group when the schema has keywords of it, else first.
const GROUPS = {
  number: ['maximum', 'minimum', 'format'],
  string: ['pattern', 'format'],
  array: ['minItems', 'items'],
  object: ['required', 'additionalProperties', 'properties', 'patternProperties'],
};
// Annotations, and `format`: the validators never checked formats (ajv's validateFormats: false).
const IGNORE = new Set(['description', 'title', 'id', '$schema', 'definitions', 'format', 'media']);

function schemaTable(rootFile) {
  const docs = new Map();
  const doc = (file) => {
    if (!docs.has(file)) docs.set(file, JSON.parse(fs.readFileSync(file, 'utf8')));
    return docs.get(file);
  };
  const index = new Map();
  const nodes = [];
  const patterns = [];
  const pattern = (p) => (patterns.includes(p) ? patterns.indexOf(p) : patterns.push(p) - 1);
  const target = (file, pointer) => {
    const key = `${file}#${pointer}`;
    if (index.has(key)) return index.get(key);
    const at = nodes.length;
    index.set(key, at);
    nodes.push(null);
    const tokens = pointer === '' ? [] : pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const node = tokens.reduce((n, t) => (n !== undefined && Object.hasOwn(n, t) ? n[t] : undefined), doc(file));
    if (node === undefined) throw new Error(`${path.relative(SCHEMAS, file)}: no ${pointer} (a $ref's target)`);
    nodes[at] = convert(file, node, pointer);
    return at;
  };
  const convert = (file, schema, where) => {
    if (typeof schema === 'boolean') return schema;
    const at = (key) => `${path.relative(SCHEMAS, file)}#${where}/${key}`;
    const sub = (key, value) => convert(file, value, `${where}/${key}`);
    const out = [];
    for (const [key, value] of Object.entries(schema)) {
      if (IGNORE.has(key)) continue;
      if (!(key in PLACE)) throw new Error(`${at(key)}: keyword ${key} is not known to spec/src/schema-check.ts`);
      let v = value;
      if (key === '$ref') {
        const [ref, pointer = ''] = value.replace(/#(?!\/|$)/, '#/').split('#');
        v = target(ref ? path.resolve(path.dirname(file), ref) : file, pointer);
      } else if (key === 'pattern') {
        v = pattern(value);
      } else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') {
        v = value.map((s, i) => sub(`${key}/${i}`, s));
      } else if (key === 'items') {
        v = Array.isArray(value) ? { tuple: value.map((s, i) => sub(`items/${i}`, s)) } : sub('items', value);
      } else if (key === 'additionalProperties') {
        v = sub(key, value);
      } else if (key === 'properties') {
        v = Object.entries(value).flatMap(([name, s]) => {
          // The checker writes these names into JSON pointers as they are.
          if (/[~/]/.test(name)) throw new Error(`${at(key)}: property ${name} needs escaping in a JSON pointer`);
          return [name, sub(`properties/${name}`, s)];
        });
      } else if (key === 'patternProperties') {
        v = Object.entries(value).flatMap(([p, s]) => [pattern(p), sub(`patternProperties/${p}`, s)]);
      }
      out[PLACE[key]] = v;
    }
    const types = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (types?.length === 1 && GROUPS[types[0]]?.some((k) => schema[k] !== undefined)) out[1] = 1;
    // Holes become nulls; trailing ones go.
    return Array.from(out, (v) => v ?? null);
  };
  target(rootFile, '');
  return flatten(patterns, nodes);
}

/**
 * The tree made flat: every child becomes the index of a node, identical nodes are kept once,
 * and a node that is only a `$ref` becomes its target. A start-up then parses a few hundred
 * small arrays instead of a tree with a copy of `["string"]` at each use.
 */
function flatten(patterns, tree) {
  const out = [];
  const seen = new Map();
  const done = new Map();
  const busy = new Set();
  const intern = (node) => {
    const key = JSON.stringify(node);
    if (!seen.has(key)) seen.set(key, out.push(node) - 1);
    return seen.get(key);
  };
  const ref = (i) => {
    if (done.has(i)) return done.get(i);
    if (busy.has(i)) throw new Error('a cyclic $ref: spec/src/schema-check.ts tables cannot hold one');
    busy.add(i);
    const at = visit(tree[i]);
    busy.delete(i);
    done.set(i, at);
    return at;
  };
  const visit = (node) => {
    if (typeof node === 'boolean') return node;
    const n = node.slice();
    const child = (c) => visit(c);
    if (n[PLACE.$ref] !== null && n[PLACE.$ref] !== undefined) {
      const target = ref(n[PLACE.$ref]);
      if (n.length === PLACE.$ref + 1 && n.slice(0, PLACE.$ref).every((v) => v === null)) return target;
      n[PLACE.$ref] = target;
    }
    if (n[PLACE.properties]) n[PLACE.properties] = n[PLACE.properties].map((v, i) => (i % 2 ? child(v) : v));
    if (n[PLACE.patternProperties]) n[PLACE.patternProperties] = n[PLACE.patternProperties].map((v, i) => (i % 2 ? child(v) : v));
    if (n[PLACE.items]) n[PLACE.items] = n[PLACE.items].tuple ? { tuple: n[PLACE.items].tuple.map(child) } : child(n[PLACE.items]);
    if (Array.isArray(n[PLACE.additionalProperties])) n[PLACE.additionalProperties] = child(n[PLACE.additionalProperties]);
    for (const k of ['anyOf', 'oneOf', 'allOf']) if (n[PLACE[k]]) n[PLACE[k]] = n[PLACE[k]].map(child);
    return intern(n);
  };
  const root = ref(0);
  return { patterns, root, nodes: out };
}

/** JSON as the body of a single-quoted JS string (fewer escapes than a double-quoted one). */
const quote = (json) => json.replace(/[\\']/g, (c) => `\\${c}`);

function validatorSources() {
  return TARGETS.flatMap((t) => t.sources).map((source) => ({
    file: `schema-${source.top.replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase())}.ts`,
    text:
      `// Generated by spec/scripts/generate.js from ${path.relative(SCHEMAS, source.schema)} (Apache-2.0):\n` +
      `// the table spec/src/schema-check.ts checks documents against. Do not edit.\n` +
      `import type { SchemaTable } from '../schema-check';\n\n` +
      // JSON.parse of a string: V8 reads it faster than the same object as a literal.
      `export const table: SchemaTable = JSON.parse('${quote(JSON.stringify(schemaTable(source.schema)))}');\n`,
  }));
}

async function main() {
  const out = path.resolve(process.argv[2] ?? path.join(__dirname, '../src/generated'));
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  for (const target of TARGETS) {
    fs.writeFileSync(path.join(out, target.file), await generate(target));
  }
  for (const { file, text } of validatorSources()) {
    fs.writeFileSync(path.join(out, file), text);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`generate: ${err.message}`);
    process.exit(1);
  });
}

// For spec/test/schema-check.test.ts: tables of schemas other than the OCI ones.
module.exports = { schemaTable };
