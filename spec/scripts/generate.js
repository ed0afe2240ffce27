#!/usr/bin/env node
// Generates the OCI TypeScript types in spec/src/generated/ from the official JSON schemas
// in ../shared/oci-schemas/ with quicktype. `npm run generate -w @berth/spec` rewrites them;
// `node scripts/generate.js OUTDIR` writes elsewhere (the drift test compares the two).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { quicktype, InputData, JSONSchemaInput, JSONSchemaStore } = require('quicktype-core');
const Ajv = require('ajv-draft-04').default;
const standalone = require('ajv/dist/standalone').default;

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
 * Validators: ajv compiles each root schema to standalone code at generation time, so
 * validating costs no schema compilation at run time and the schemas need not ship.
 * The schemas are loaded with two repairs that Go's gojsonschema (which the spec's own
 * tests use) makes implicitly: nested draft-04 `id`s are dropped so relative `$ref`s
 * resolve against the file they are written in, and `#definitions/x` pointers get their
 * missing slash.
 */
function validatorSources() {
  const repair = (node, parentKey) => {
    if (Array.isArray(node)) return node.map((n) => repair(n));
    if (node === null || typeof node !== 'object') return node;
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'id' && typeof value === 'string' && parentKey !== 'properties') continue;
      if (key === '$schema') continue;
      out[key] = key === '$ref' && typeof value === 'string' ? value.replace(/#(?!\/|$)/, '#/') : repair(value, key);
    }
    return out;
  };
  // inlineRefs: false emits each shared definition once as a function instead of copying
  // it into every use: a smaller file that loads in about half the time (the runtime pays
  // for it on every `create`).
  const ajv = new Ajv({ code: { source: true, esm: true }, strict: false, validateFormats: false, inlineRefs: false });
  const key = (file) => `file:///oci/${path.relative(SCHEMAS, file)}`;
  for (const dir of [RUNTIME, IMAGE]) {
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
      const file = path.join(dir, name);
      ajv.addSchema(repair(JSON.parse(fs.readFileSync(file, 'utf8'))), key(file));
    }
  }
  return TARGETS.flatMap((t) => t.sources).map((source) => ({
    file: `validate-${source.top.replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase())}.ts`,
    text:
      `// @ts-nocheck\n// Generated by spec/scripts/generate.js: ajv's standalone validator for ` +
      `${path.relative(SCHEMAS, source.schema)}. Do not edit.\n` +
      standalone(ajv, { validate: key(source.schema) }) +
      '\n',
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

main().catch((err) => {
  console.error(`generate: ${err.message}`);
  process.exit(1);
});
