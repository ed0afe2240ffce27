import { buildStageGraph, parse, PROXY_ARGS, TargetNotFoundError } from '@berth/builder';

const graph = (text: string, options = {}) => buildStageGraph(parse(text), options);

const MULTI = `
ARG GO=1.22
FROM golang:\${GO} AS Build
RUN go build

FROM alpine AS certs
RUN apk add ca-certificates

FROM build AS test
RUN go test

FROM scratch AS final
COPY --from=certs /etc/ssl /etc/ssl
COPY --from=0 /app /app
COPY --from=busybox:musl /bin/sh /bin/sh

FROM final AS debug
RUN --mount=type=bind,from=test,target=/t true
`;

describe('stage graph', () => {
  it('names (case-insensitive), indexes and bases', () => {
    const g = graph(MULTI);
    expect(g.stages.map((s) => [s.index, s.name, s.baseName, s.base])).toEqual([
      [0, 'build', 'golang:1.22', { kind: 'image', ref: 'golang:1.22' }],
      [1, 'certs', 'alpine', { kind: 'image', ref: 'alpine' }],
      [2, 'test', 'build', { kind: 'stage', index: 0 }],
      [3, 'final', 'scratch', { kind: 'scratch' }],
      [4, 'debug', 'final', { kind: 'stage', index: 3 }],
    ]);
  });

  it('dependencies from FROM <stage>, COPY --from (name and index) and RUN --mount from=', () => {
    const g = graph(MULTI);
    expect(g.stages.map((s) => s.dependsOn)).toEqual([[], [], [0], [0, 1], [2, 3]]);
    expect(g.stages[3]?.images).toEqual(['busybox:musl']);
  });

  it('the stages a --target needs', () => {
    const g = graph(MULTI);
    expect(g.stagesFor()).toEqual([0, 1, 2, 3, 4]);
    expect(g.stagesFor('FINAL')).toEqual([0, 1, 3]);
    expect(g.stagesFor('certs')).toEqual([1]);
    expect(g.stagesFor('test')).toEqual([0, 2]);
    expect(g.stageIndex('Test')).toBe(2);
  });

  it('an unknown target is an error that lists the stage names', () => {
    expect(() => graph(MULTI).stagesFor('prod')).toThrow(TargetNotFoundError);
    expect(() => graph(MULTI).stagesFor('prod')).toThrow('target stage "prod" could not be found (stages: build, certs, test, final, debug)');
  });

  it('FROM naming its own stage name is an image, not a cycle', () => {
    expect(graph('FROM node AS node\n').stages[0]?.base).toEqual({ kind: 'image', ref: 'node' });
  });
});

describe('ARG scoping', () => {
  it('global ARGs expand FROM; --build-arg overrides the default', () => {
    const text = 'ARG TAG=3.19\nARG IMG=alpine:${TAG}\nFROM ${IMG}\n';
    expect(graph(text).stages[0]?.baseName).toBe('alpine:3.19');
    expect(graph(text, { buildArgs: { TAG: 'edge' } }).stages[0]?.baseName).toBe('alpine:edge');
    expect(graph(text).globalArgs.get('IMG')).toBe('alpine:3.19');
  });

  it('global ARGs are not visible in a stage until declared there with ARG name', () => {
    const text = 'ARG SRC=base\nFROM alpine AS base\nFROM alpine\nCOPY --from=${SRC:-img} a b\nFROM alpine\nARG SRC\nCOPY --from=$SRC a b\n';
    const g = graph(text);
    expect(g.stages[1]).toMatchObject({ dependsOn: [], images: ['img'] });
    expect(g.stages[2]).toMatchObject({ dependsOn: [0], images: [] });
    expect(() => graph('ARG SRC=base\nFROM alpine AS base\nFROM alpine\nCOPY --from=$SRC a b\n')).toThrow(
      'Dockerfile:4: COPY --from=$SRC is empty after expansion (is the ARG declared in this stage?)',
    );
  });

  it('a stage ARG default, ENV, and the old value of a variable for the whole ENV line', () => {
    const text = 'FROM alpine AS x\nFROM alpine AS y\nFROM alpine\nARG S=x\nENV S=y T=$S\nCOPY --from=$T a b\nCOPY --from=$S c d\n';
    expect(graph(text).stages[2]?.dependsOn).toEqual([0, 1]);
  });

  it('platform ARGs are global by default and need ARG inside a stage', () => {
    const text = 'FROM --platform=$BUILDPLATFORM busybox:$TARGETARCH\nARG TARGETOS\nCOPY --from=img-$TARGETOS-$TARGETARCH a b\n';
    const g = graph(text, { platforms: { targetPlatform: 'linux/arm64/v8', buildPlatform: 'linux/amd64' } });
    expect(g.stages[0]).toMatchObject({ baseName: 'busybox:arm64', platform: 'linux/amd64', images: ['img-linux-'] });
    expect([...g.globalArgs.entries()].filter(([k]) => k.startsWith('TARGET'))).toEqual([
      ['TARGETPLATFORM', 'linux/arm64/v8'], ['TARGETOS', 'linux'], ['TARGETARCH', 'arm64'], ['TARGETVARIANT', 'v8'],
    ]);
  });

  it('the proxy ARGs are predefined: usable in a stage without ARG when passed', () => {
    expect(PROXY_ARGS).toContain('https_proxy');
    const g = graph('FROM a\nCOPY --from=$HTTP_PROXY x y\n', { buildArgs: { HTTP_PROXY: 'proxyimg' } });
    expect(g.stages[0]?.images).toEqual(['proxyimg']);
  });
});
