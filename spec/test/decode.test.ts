import { imageIndex, imageManifest, jsonPath, runtimeConfig, runtimeState, ValidationError } from '@berth/spec';

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('ERR_BERTH_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected a ValidationError');
}

const minimal = { ociVersion: '1.3.0', root: { path: 'rootfs' } };

describe('runtime config errors name the JSON path and the expectation', () => {
  test.each<[string, unknown, string]>([
    ['wrong type deep in linux', { ...minimal, linux: { resources: { rdma: { mlx5_1: { hcaHandles: 'x' } } } } }, '$.linux.resources.rdma.mlx5_1.hcaHandles: must be integer'],
    ['args not an array', { ...minimal, process: { cwd: '/', args: 'sh' } }, '$.process.args: must be array'],
    ['missing ociVersion', { root: { path: 'rootfs' } }, "$: must have required property 'ociVersion'"],
    ['array element', { ...minimal, mounts: [{ destination: 5 }] }, '$.mounts[0].destination: must be string'],
    ['hugepage size pattern', { ...minimal, linux: { resources: { hugepageLimits: [{ pageSize: '64kB', limit: 1 }] } } }, '$.linux.resources.hugepageLimits[0].pageSize: must match pattern'],
    ['namespace type enum', { ...minimal, linux: { namespaces: [{ type: 'bogus' }] } }, '$.linux.namespaces[0].type: must be one of "mount", "pid"'],
    ['map key with a dot', { ...minimal, linux: { netDevices: { 'eth0.1': { name: 1 } } } }, '$.linux.netDevices["eth0.1"].name: must be string'],
  ])('%s', (_name, doc, expected) => {
    expect(problem(() => runtimeConfig.check(doc, 'config.json'))).toContain(expected);
  });

  test('the source file is named', () => {
    expect(problem(() => runtimeConfig.check({}, '/b/config.json'))).toMatch(/^invalid runtime config \/b\/config\.json: /);
  });
});

describe('invalid JSON gives the line and column', () => {
  test('a stray bracket', () => {
    expect(problem(() => runtimeState.parse('{\n  "a": 1,\n  ]', 'state.json'))).toMatch(
      /^invalid runtime state state\.json: invalid JSON at line 3, column 3: Expected double-quoted property name/,
    );
  });
  test('truncated input', () => {
    expect(problem(() => runtimeConfig.parse('{"ociVersion": "1.0', 'config.json'))).toContain('invalid JSON');
  });
  test('bytes are accepted as well as text', () => {
    expect(runtimeConfig.parse(Buffer.from(JSON.stringify(minimal)))).toEqual(minimal);
  });
});

describe('image documents', () => {
  const layer = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: `sha256:${'a'.repeat(64)}`,
    size: 10,
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { ...layer, mediaType: 'application/vnd.oci.image.config.v1+json' },
    layers: [layer],
  };

  test('a valid manifest decodes to the same value', () => {
    expect(imageManifest.check(manifest)).toBe(manifest);
  });
  test('a bad digest in a layer names the layer', () => {
    const bad = { ...manifest, layers: [{ ...layer, digest: 'sha256 abc' }] };
    expect(problem(() => imageManifest.check(bad, 'manifest.json'))).toContain('$.layers[0].digest: must match pattern');
  });
  test('an index needs manifests', () => {
    expect(problem(() => imageIndex.check({ schemaVersion: 2 }))).toContain("must have required property 'manifests'");
  });
  test('an index entry with a platform lacking os is refused', () => {
    const idx = { schemaVersion: 2, manifests: [{ ...layer, platform: { architecture: 'amd64' } }] };
    expect(problem(() => imageIndex.check(idx))).toContain("$.manifests[0].platform: must have required property 'os'");
  });
});

test('jsonPath escapes JSON pointer tokens', () => {
  expect(jsonPath('')).toBe('$');
  expect(jsonPath('/a~1b/c~0d/3')).toBe('$["a/b"]["c~d"][3]');
});
