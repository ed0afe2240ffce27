import { buildStageGraph, DockerfileError, parse, parseInstructions } from '@berth/builder';

/** Parses, types and resolves the stage graph, as a build would before running anything. */
function load(text: string): void {
  buildStageGraph(parse(text));
}

/** [Dockerfile text, the full error message, the error code] */
const cases: [string, string, string][] = [
  ['FROM a\nFORM b\n', 'Dockerfile:2: unknown instruction: FORM (did you mean FROM?)', 'ERR_BERTH_DOCKERFILE_UNKNOWN_INSTRUCTION'],
  ['FROM a\nRUNN x\n', 'Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)', 'ERR_BERTH_DOCKERFILE_UNKNOWN_INSTRUCTION'],
  ['FROM a\ncopyy a b\n', 'Dockerfile:2: unknown instruction: copyy (did you mean COPY?)', 'ERR_BERTH_DOCKERFILE_UNKNOWN_INSTRUCTION'],
  ['FROM a\nENTRYPIONT x\n', 'Dockerfile:2: unknown instruction: ENTRYPIONT (did you mean ENTRYPOINT?)', 'ERR_BERTH_DOCKERFILE_UNKNOWN_INSTRUCTION'],
  ['FROM a\nWORKDIRR /x\n', 'Dockerfile:2: unknown instruction: WORKDIRR (did you mean WORKDIR?)', 'ERR_BERTH_DOCKERFILE_UNKNOWN_INSTRUCTION'],
  ['FROM a\nINSTALL curl\n', 'Dockerfile:2: unknown instruction: INSTALL', 'ERR_BERTH_DOCKERFILE_UNKNOWN_INSTRUCTION'],
  ['FROM a\n\n\nARG\n', 'Dockerfile:4: ARG requires at least one argument', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nARG =x\n', 'Dockerfile:2: ARG names can not be blank: "=x"', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM\n', 'Dockerfile:1: FROM requires either one or three arguments', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a b\n', 'Dockerfile:1: FROM requires either one or three arguments', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a AS 1st\n', 'Dockerfile:1: invalid name for build stage: "1st", name can\'t start with a number or contain symbols', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM --platfrom=linux/arm64 a\n', 'Dockerfile:1: unknown flag: platfrom (did you mean platform?)', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nWORKDIR\n', 'Dockerfile:2: WORKDIR requires exactly one argument', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nUSER\n', 'Dockerfile:2: USER requires exactly one argument', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nMAINTAINER\n', 'Dockerfile:2: MAINTAINER requires exactly one argument', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nSTOPSIGNAL\n', 'Dockerfile:2: STOPSIGNAL requires exactly one argument', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nSTOPSIGNAL SIG TERM\n', 'Dockerfile:2: Invalid signal: SIG TERM', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nEXPOSE\n', 'Dockerfile:2: EXPOSE requires at least one argument', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nEXPOSE 80/tcpx\n', 'Dockerfile:2: invalid proto: tcpx', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nEXPOSE 80 http\n', 'Dockerfile:2: invalid containerPort: http', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nEXPOSE 70000\n', 'Dockerfile:2: invalid containerPort: 70000', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nSTOPSIGNAL SIGFOO\n', 'Dockerfile:2: Invalid signal: SIGFOO', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nVOLUME\n', 'Dockerfile:2: VOLUME requires at least one argument', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nVOLUME [""]\n', 'Dockerfile:2: VOLUME specified can not be an empty string', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nENV\n', 'Dockerfile:2: ENV requires at least one argument', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nLABEL =x\n', 'Dockerfile:2: LABEL names can not be blank', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nCOPY onlyone\n', 'Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be determined', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nADD x\n', 'Dockerfile:2: ADD requires at least two arguments, but only one was provided. Destination could not be determined', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nCOPY --chwon=1 a b\n', 'Dockerfile:2: unknown flag: chwon (did you mean chown?)', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nCOPY --from a b\n', 'Dockerfile:2: missing a value on flag: from', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nCOPY --link --link a b\n', 'Dockerfile:2: duplicate flag specified: link', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nCOPY --link=maybe a b\n', 'Dockerfile:2: expecting boolean value for flag link, not: maybe', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nCOPY --chmod=999 a b\n', 'Dockerfile:2: invalid chmod parameter "999": use octal (0755) or symbolic (u+x,g-w) permissions', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nADD --from=x a b\n', 'Dockerfile:2: unknown flag: from', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nCOPY a <<EOF\nx\nEOF\n', 'Dockerfile:2: COPY cannot accept a heredoc as a destination', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nRUN --network=bridge true\n', 'Dockerfile:2: unsupported network mode "bridge" (use default, none or host)', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nRUN --security=privileged true\n', 'Dockerfile:2: unsupported security mode "privileged" (use sandbox or insecure)', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nRUN --mount=type=cahce,target=/c true\n', 'Dockerfile:2: --mount=type=cahce,target=/c: unsupported mount type "cahce" (did you mean cache?)', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nRUN --mount=type=cache,targte=/c true\n', "Dockerfile:2: --mount=type=cache,targte=/c: unexpected key 'targte' in 'targte=/c' (did you mean target?)", 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nRUN --mount=type=bind true\n', 'Dockerfile:2: --mount=type=bind: mount type=bind requires a target', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nRUN --mount=type=bind,target=/x,mode=0700 true\n', 'Dockerfile:2: --mount=type=bind,target=/x,mode=0700: mode not allowed for "bind" type mounts', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nRUN --mount=type=cache,target=/c,sharing=global true\n', 'Dockerfile:2: --mount=type=cache,target=/c,sharing=global: unsupported sharing value "global"', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nRUN --mount=type=secret true\n', 'Dockerfile:2: --mount=type=secret: invalid secret mount. one of source, target required', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nRUN --mount=type=tmpfs,target=/t,size=lots true\n', "Dockerfile:2: --mount=type=tmpfs,target=/t,size=lots: invalid size: 'lots'", 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nRUN --mount=type=bind,target=/x,required true\n', "Dockerfile:2: --mount=type=bind,target=/x,required: unexpected key 'required' for mount type 'bind'", 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nSHELL /bin/sh -c\n', 'Dockerfile:2: SHELL requires the arguments to be in JSON form', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nSHELL []\n', 'Dockerfile:2: SHELL requires at least one argument', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nHEALTHCHECK\n', 'Dockerfile:2: HEALTHCHECK requires at least one argument', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nHEALTHCHECK NONE x\n', 'Dockerfile:2: HEALTHCHECK NONE takes no arguments', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nHEALTHCHECK CONNECT TCP 7000\n', 'Dockerfile:2: Unknown type "CONNECT" in HEALTHCHECK (try CMD)', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nHEALTHCHECK CMD\n', 'Dockerfile:2: Missing command after HEALTHCHECK CMD', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nHEALTHCHECK --interval=5 CMD true\n', 'Dockerfile:2: time: invalid duration "5" in --interval', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nHEALTHCHECK --timeout=10us CMD true\n', 'Dockerfile:2: Interval "timeout" cannot be less than 1ms', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nHEALTHCHECK --retries=-1 CMD true\n', 'Dockerfile:2: --retries cannot be negative (-1)', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nHEALTHCHECK --retry=3 CMD true\n', 'Dockerfile:2: unknown flag: retry (did you mean retries?)', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nONBUILD\n', 'Dockerfile:2: ONBUILD requires at least one argument', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nONBUILD ONBUILD RUN x\n', 'Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nONBUILD FROM b\n', "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger", 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nONBUILD maintainer me\n', "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger", 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nONBUILD FORM b\n', 'Dockerfile:2: unknown instruction: FORM (did you mean FROM?)', 'ERR_BERTH_DOCKERFILE_UNKNOWN_INSTRUCTION'],
  ['FROM a\nCMD --foo x\n', 'Dockerfile:2: unknown flag: foo', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['RUN true\nFROM a\n', 'Dockerfile:1: RUN before the first FROM: only ARG may come before FROM (no build stage in current context)', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['ARG a=1\n', 'Dockerfile:1: no FROM instruction: a Dockerfile needs at least one build stage', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a AS x\nFROM b AS X\n', 'Dockerfile:2: duplicate stage name "x", first defined on line 1', 'ERR_BERTH_DOCKERFILE_STAGE'],
  [
    'FROM alpine AS base\nRUN true\n\n\n\n\n\n\n\n\n\nCOPY --from=builder /out /out\nFROM golang AS builder\n',
    'Dockerfile:12: COPY --from refers to stage "builder" which is defined later (line 13)', 'ERR_BERTH_DOCKERFILE_STAGE',
  ],
  ['FROM a\nCOPY --from=1 x y\nFROM b\n', 'Dockerfile:2: COPY --from refers to stage 1 which is defined later (line 3)', 'ERR_BERTH_DOCKERFILE_STAGE'],
  ['FROM a AS me\nCOPY --from=me x y\n', 'Dockerfile:2: COPY --from refers to stage "me", the stage it is in', 'ERR_BERTH_DOCKERFILE_STAGE'],
  ['FROM a\nCOPY --from=7 x y\n', 'Dockerfile:2: COPY --from refers to stage 7, but the Dockerfile has only 1 stage (0 to 0)', 'ERR_BERTH_DOCKERFILE_STAGE'],
  ['FROM a\nRUN --mount=from=later,target=/x true\nFROM b AS later\n', 'Dockerfile:2: RUN --mount from refers to stage "later" which is defined later (line 3)', 'ERR_BERTH_DOCKERFILE_STAGE'],
  ['ARG BASE\nFROM ${BASE}\n', 'Dockerfile:2: base name (${BASE}) should not be blank', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['ARG BASE\nFROM ${BASE:?required}\n', 'Dockerfile:2: failed to process "${BASE:?required}": BASE: required', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nRUN x \\\n  y\nCOPY --nope a b\n', 'Dockerfile:4: unknown flag: nope', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
  ['FROM a\nRUN <<EOF\nx\nEOF\nUSER\n', 'Dockerfile:5: USER requires exactly one argument', 'ERR_BERTH_DOCKERFILE_INSTRUCTION'],
];

describe('error messages', () => {
  it('the table has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%j', (text, message, code) => {
    let error: unknown;
    try {
      load(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DockerfileError);
    expect((error as DockerfileError).message).toBe(message);
    expect((error as DockerfileError).code).toBe(code);
  });

  it('errors carry the line range and the message without location', () => {
    try {
      parseInstructions(parse('FROM a\nCOPY x \\\n  \\\n  y\nCOPY z\n', { file: 'app/Dockerfile.dev' }));
      throw new Error('expected a failure');
    } catch (err) {
      expect(err).toBeInstanceOf(DockerfileError);
      const e = err as DockerfileError;
      expect(e.location).toEqual({ file: 'app/Dockerfile.dev', startLine: 5, endLine: 5 });
      expect(e.detail).toMatch(/^COPY requires at least two arguments/);
      expect(e.message.startsWith('app/Dockerfile.dev:5: ')).toBe(true);
    }
  });
});
