import {
  DockerMediaType,
  ValidationError,
  decodeDockerManifest,
  decodeDockerManifestList,
  decodeDockerRepositories,
  decodeDockerSaveManifest,
} from '@berth/spec';

const D = `sha256:${'a'.repeat(64)}`;
const desc = (mediaType: string, size = 10): { mediaType: string; size: number; digest: string } => ({ mediaType, size, digest: D });

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('ERR_BERTH_INVALID');
    return [...(err as ValidationError).problems];
  }
  throw new Error('expected a ValidationError');
}

describe('Docker schema 2 manifest', () => {
  const good = {
    schemaVersion: 2,
    mediaType: DockerMediaType.Manifest,
    config: desc(DockerMediaType.Config),
    layers: [desc(DockerMediaType.LayerGzip), { ...desc(DockerMediaType.ForeignLayerGzip), urls: ['https://x/y'] }],
  };

  test('decodes text, bytes and values', () => {
    expect(decodeDockerManifest(JSON.stringify(good))).toEqual(good);
    expect(decodeDockerManifest(Buffer.from(JSON.stringify(good))).layers).toHaveLength(2);
    expect(decodeDockerManifest(good).config.digest).toBe(D);
  });

  test('names each bad path', () => {
    const bad = {
      schemaVersion: 1,
      mediaType: 'x',
      config: { mediaType: 1, size: -1, digest: 'sha256:12' },
      layers: [{ ...desc(DockerMediaType.LayerGzip), urls: 'u', platform: { os: 'linux' } }],
    };
    expect(problems(() => decodeDockerManifest(bad))).toEqual([
      '$.schemaVersion: expected 2, got number 1',
      `$.mediaType: expected "${DockerMediaType.Manifest}", got string "x"`,
      '$.config.mediaType: expected a string, got number 1',
      '$.config.size: expected a non-negative integer, got number -1',
      '$.config.digest: expected sha256:<64 hex> or sha512:<128 hex>, got "sha256:12"',
      '$.layers[0].urls: expected an array, got string "u"',
      '$.layers[0].platform.architecture: expected a string, got nothing',
    ]);
  });

  test('invalid JSON is reported with its position', () => {
    expect(() => decodeDockerManifest('{"schemaVersion": 2,', 'blobs/sha256/abc')).toThrow(/^invalid blobs\/sha256\/abc: \$: .*JSON/);
  });
});

describe('Docker manifest list', () => {
  test('requires a platform on every entry', () => {
    const list = {
      schemaVersion: 2,
      mediaType: DockerMediaType.ManifestList,
      manifests: [
        { ...desc(DockerMediaType.Manifest), platform: { architecture: 'arm', os: 'linux', variant: 'v7' } },
        desc(DockerMediaType.Manifest),
      ],
    };
    expect(problems(() => decodeDockerManifestList(list))).toEqual(['$.manifests[1].platform: expected an object, got nothing']);
    list.manifests.pop();
    expect(decodeDockerManifestList(list).manifests[0]?.platform.variant).toBe('v7');
  });
});

describe('docker save files', () => {
  test('manifest.json', () => {
    const good = [{ Config: 'abc.json', RepoTags: ['busybox:latest'], Layers: ['l1/layer.tar'] }, { Config: 'x', RepoTags: null, Layers: [] }];
    expect(decodeDockerSaveManifest(JSON.stringify(good))).toEqual(good);
    expect(problems(() => decodeDockerSaveManifest([{ Config: 3, RepoTags: 'x', Layers: [1] }]))).toEqual([
      '$[0].Config: expected a string, got number 3',
      '$[0].RepoTags: expected an array, got string "x"',
      '$[0].Layers[0]: expected a string, got number 1',
    ]);
    expect(problems(() => decodeDockerSaveManifest({}))).toEqual(['$: expected an array, got an object']);
  });

  test('repositories', () => {
    expect(decodeDockerRepositories('{"busybox":{"latest":"abc"}}')).toEqual({ busybox: { latest: 'abc' } });
    expect(problems(() => decodeDockerRepositories({ busybox: { latest: 1 } }))).toEqual([
      '$.busybox.latest: expected a string, got number 1',
    ]);
  });
});
