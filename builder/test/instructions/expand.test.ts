import { expandInstruction, InstructionError, parse, parseInstruction, type Instruction } from '@berth/builder';

const ENV = new Map([['A', 'x'], ['DIR', '/srv/app'], ['PORTS', '80 443'], ['EMPTY', '']]);

function expanded(line: string, env: ReadonlyMap<string, string> = ENV): Instruction {
  const ast = parse(line + '\n');
  return expandInstruction(parseInstruction(ast.instructions[0]!), env, ast.escapeToken);
}

describe('expandInstruction: what is expanded where', () => {
  it.each([
    ['ENV keys and values', 'ENV K_$A="v $A" B=${A:-y}', { env: [{ key: 'K_x', value: 'v x' }, { key: 'B', value: 'x' }] }],
    ['a variable keeps its old value for the whole ENV line', 'ENV A=new B=$A', { env: [{ key: 'A', value: 'new' }, { key: 'B', value: 'x' }] }],
    ['LABEL keys and values', 'LABEL "com.$A"="$DIR"', { labels: [{ key: 'com.x', value: '/srv/app' }] }],
    ['ARG defaults', 'ARG N=$A M', { args: [{ key: 'N', value: 'x' }, { key: 'M' }] }],
    ['WORKDIR', 'WORKDIR $DIR/sub', { path: '/srv/app/sub' }],
    ['USER', 'USER ${A}:${A}', { user: 'x:x' }],
    ['STOPSIGNAL', 'STOPSIGNAL SIG${A:+TERM}', { signal: 'SIGTERM' }],
    ['VOLUME', 'VOLUME ["$DIR/data"]', { volumes: ['/srv/app/data'] }],
    ['EXPOSE splits words', 'EXPOSE $PORTS 53/udp', { ports: ['80', '443', '53/udp'] }],
    ['COPY sources, dest, --from, --chown, --chmod, --exclude',
      'COPY --from=$A --chown=$A --chmod=${MODE:-755} --exclude=$A.md src/$A $DIR/',
      { sources: ['src/x'], dest: '/srv/app/', from: 'x', chown: 'x', chmod: '755', exclude: ['x.md'] }],
    ['ADD --checksum', 'ADD --checksum=sha256:$A https://h/$A.tgz /', { checksum: 'sha256:x', sources: ['https://h/x.tgz'] }],
    ['RUN --mount values', 'RUN --mount=type=cache,target=$DIR/cache make $A', { command: ['make $A'], mounts: [expect.objectContaining({ target: '/srv/app/cache', id: '/srv/app/cache' })] }],
    ['not RUN commands: the shell expands them', 'RUN echo $A', { command: ['echo $A'] }],
    ['not CMD', 'CMD ["echo", "$A"]', { command: ['echo', '$A'] }],
    ['not ENTRYPOINT', 'ENTRYPOINT exec $A', { command: ['exec $A'] }],
    ['not HEALTHCHECK', 'HEALTHCHECK CMD test $A', { test: ['CMD-SHELL', 'test $A'] }],
    ['not SHELL', 'SHELL ["$A"]', { shell: ['$A'] }],
    ['not ONBUILD (the child build expands it)', 'ONBUILD RUN $A', { expression: 'RUN $A' }],
  ])('%s', (_what, line, want) => {
    expect(expanded(line)).toMatchObject(want);
  });

  it('a VOLUME that expands to nothing is an error at its line', () => {
    expect(() => expanded('VOLUME $EMPTY')).toThrow(InstructionError);
    expect(() => expanded('VOLUME $EMPTY')).toThrow('Dockerfile:1: VOLUME specified can not be an empty string');
  });

  it('values are checked once expanded: ports, signals, --chmod', () => {
    const env = new Map([['P', '80/tcpx'], ['S', 'NOPE'], ['M', '9999']]);
    expect(() => expanded('EXPOSE $P', env)).toThrow('Dockerfile:1: invalid proto: tcpx');
    expect(() => expanded('STOPSIGNAL $S', env)).toThrow('Dockerfile:1: Invalid signal: NOPE');
    expect(() => expanded('COPY --chmod=$M a b', env)).toThrow('Dockerfile:1: invalid chmod parameter "9999"');
  });

  it('a bad word is an error naming the line and the word', () => {
    expect(() => expanded('WORKDIR ${DIR')).toThrow(/^Dockerfile:1: failed to process "\$\{DIR"/);
  });

  it('the escape directive applies', () => {
    const ast = parse('# escape=`\nWORKDIR C:\\$A`$A\n');
    expect(expandInstruction(parseInstruction(ast.instructions[0]!), ENV, ast.escapeToken)).toMatchObject({ path: 'C:\\x$A' });
  });
});
