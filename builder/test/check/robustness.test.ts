import { checkDockerfile, dump, parse, DockerfileError } from '@berth/builder';

/** A small deterministic PRNG (mulberry32), so a failure is reproducible from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'FROM ', 'RUN ', 'COPY ', 'ADD ', 'ENV ', 'ARG ', 'LABEL ', 'CMD ', 'ENTRYPOINT ', 'ONBUILD ', 'HEALTHCHECK ', 'SHELL ',
  'EXPOSE ', 'VOLUME ', 'USER ', 'WORKDIR ', 'STOPSIGNAL ', 'MAINTAINER ', 'from ', 'FORM ', 'AS ', 'CMD ',
  '--from=', '--mount=type=cache,target=/x', '--mount=', '--chmod=', '--platform=', '--', '--link', '=', ',',
  '\\', '\\\n', '`', '"', "'", '[', ']', '["a", "b"]', '[1]', '{', '}', '$', '${A', '${A:-b}', '${A?}', '<<', '<<EOF', '<<-EOF',
  "<<'EOF'", 'EOF', '\n', '\n', '\n', '\r\n', '\t', ' ', ' ', '# ', '# escape=`\n', '# syntax=x\n', '# check=error=true\n',
  'a', 'b', '/x', '0', '1', 'é', '\u00a0', '\ufeff', 'scratch', 'stage', 'NONE', 'CMD-SHELL',
];

describe('robustness', () => {
  it('arbitrary input gives a result or a DockerfileError, never another exception', () => {
    const next = rng(7);
    for (let i = 0; i < 1500; i++) {
      let text = '';
      const n = 1 + Math.floor(next() * 40);
      for (let j = 0; j < n; j++) text += PIECES[Math.floor(next() * PIECES.length)];
      try {
        checkDockerfile(text);
        dump(parse(text));
      } catch (err) {
        if (!(err instanceof DockerfileError)) {
          throw new Error(`case ${i} ${JSON.stringify(text)}: ${(err as Error).stack}`);
        }
      }
    }
  });
});
