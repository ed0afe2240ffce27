import { checkDockerfile, formatDiagnostic, summarize } from '@berth/builder';

const lines = (text: string, file?: string) => {
  const r = checkDockerfile(text, file ? { file } : {});
  return { failed: r.failed, out: r.diagnostics.map(formatDiagnostic) };
};

describe('build --check', () => {
  it('a clean Dockerfile has nothing to report', () => {
    expect(lines('FROM alpine AS build\nRUN true\nFROM scratch\nCOPY --from=build /x /x\nCMD ["/x"]\n')).toEqual({ failed: false, out: [] });
  });

  it('reports every instruction error, not only the first, with its line', () => {
    expect(lines('FROM a\nFORM b\nARG\nCOPY x\n')).toEqual({
      failed: true,
      out: [
        'Dockerfile:2: unknown instruction: FORM (did you mean FROM?)',
        'Dockerfile:3: ARG requires at least one argument',
        'Dockerfile:4: COPY requires at least two arguments, but only one was provided. Destination could not be determined',
      ],
    });
  });

  it('a syntax error stops the check at its line', () => {
    expect(lines('FROM a\nRUN <<EOF\nx\n', 'Dockerfile.dev')).toEqual({
      failed: true, out: ['Dockerfile.dev:2: unterminated heredoc: <<EOF started on line 2 has no closing EOF line'],
    });
  });

  it('stage-graph errors', () => {
    expect(lines('FROM a\nCOPY --from=b x y\nFROM c AS b\n').out).toEqual([
      'Dockerfile:2: COPY --from refers to stage "b" which is defined later (line 3)',
    ]);
  });

  it('lint warnings do not fail the check, and are named like BuildKit build checks', () => {
    const text = 'FROM alpine as Build\nMAINTAINER me\nrun true\nWORKDIR app\nCMD a\nCMD b\nFROM ${NOPE}img\nRUN a \\\n\n  b\n';
    const r = lines(text);
    expect(r.failed).toBe(false);
    expect(r.out).toEqual([
      "Dockerfile:1: warning: FromAsCasing: 'as' and 'FROM' keywords' casing do not match",
      "Dockerfile:1: warning: StageNameCasing: Stage name 'Build' should be lowercase",
      'Dockerfile:2: warning: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label',
      "Dockerfile:3: warning: ConsistentInstructionCasing: Command 'run' should match the case of the command majority (uppercase)",
      'Dockerfile:4: warning: WorkdirRelativePath: Relative workdir "app" can have unexpected results if the base image changes',
      'Dockerfile:5: warning: JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals',
      'Dockerfile:5: warning: MultipleInstructionsDisallowed: Multiple CMD instructions should not be used in the same stage because only the last one will be used',
      'Dockerfile:6: warning: JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals',
      "Dockerfile:7: warning: UndefinedArgInFrom: FROM argument 'NOPE' is not declared",
      'Dockerfile:10: warning: NoEmptyContinuation: Empty continuation line found in: RUN a   b',
    ]);
  });

  it('SecretsUsedInArgOrEnv flags secret-looking ARG and ENV names, not public ones', () => {
    expect(lines('ARG GITHUB_TOKEN\nFROM a\nENV DB_PASSWORD=x PUBLIC_KEY=y KEYBOARD=z\n').out).toEqual([
      'Dockerfile:1: warning: SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG "GITHUB_TOKEN")',
      'Dockerfile:3: warning: SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ENV "DB_PASSWORD")',
    ]);
  });

  it('# check=skip= silences rules; error=true makes warnings fail', () => {
    expect(lines('# check=skip=MaintainerDeprecated\nFROM a\nMAINTAINER me\n')).toEqual({ failed: false, out: [] });
    expect(lines('# check=skip=all\nFROM a\nMAINTAINER me\n').out).toEqual([]);
    expect(lines('# check=error=true\nFROM a\nMAINTAINER me\n')).toEqual({
      failed: true, out: ['Dockerfile:3: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label'],
    });
  });

  it('a FROM that needs a --build-arg is a warning for the check, an error for the stage graph', () => {
    expect(lines('ARG BASE\nFROM ${BASE}\n')).toEqual({
      failed: false,
      out: ['Dockerfile:2: warning: InvalidDefaultArgInFrom: Default value for ARG ${BASE} results in empty or invalid base image name'],
    });
    expect(checkDockerfile('ARG BASE\nFROM ${BASE}\n', { buildArgs: { BASE: 'alpine' } }).diagnostics).toEqual([]);
  });

  it('a missing --target is an error', () => {
    const r = checkDockerfile('FROM a AS one\n', { target: 'two' });
    expect(r.failed).toBe(true);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual(['Dockerfile:1: target stage "two" could not be found (stages: one)']);
  });

  it('summarises as docker build --check does', () => {
    expect(summarize([])).toBe('Check complete, no warnings found.');
    const w = { severity: 'warning' as const, message: 'm', file: 'Dockerfile', line: 1 };
    expect(summarize([w])).toBe('Check complete, 1 warning has been found!');
    expect(summarize([w, w, { ...w, severity: 'error' }])).toBe('Check complete, 2 warnings and 1 error have been found!');
  });
});
