import { parse, parseInstruction, parseInstructions, runScript, type Instruction } from '@berth/builder';

/** The typed form of the last instruction of `text`. */
function typed(text: string): Instruction {
  const ast = parse(text);
  return parseInstruction(ast.instructions[ast.instructions.length - 1]!);
}

describe('typed instructions', () => {
  it('FROM with --platform and a stage name (lower-cased)', () => {
    expect(typed('FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\n')).toMatchObject({
      kind: 'from', baseName: 'golang:1.22', stageName: 'build', platform: '$BUILDPLATFORM', line: 1,
    });
  });

  it('RUN shell form, exec form, network and security', () => {
    expect(typed('RUN echo hi\n')).toMatchObject({ kind: 'run', command: ['echo hi'], prependShell: true, network: 'default', security: 'sandbox', mounts: [] });
    expect(typed('RUN --network=none --security=insecure ["ls", "-l"]\n')).toMatchObject({
      command: ['ls', '-l'], prependShell: false, network: 'none', security: 'insecure',
    });
  });

  it('RUN --mount defaults for every type', () => {
    const run = typed(
      'RUN --mount=type=bind,source=src,target=/src ' +
      '--mount=type=cache,target=/root/.cache ' +
      '--mount=type=tmpfs,target=/tmp,size=64m ' +
      '--mount=type=secret,id=npmrc ' +
      '--mount=type=ssh ' +
      '--mount=type=ssh,id=git,required ' +
      '--mount=target=/ctx,rw ' +
      'make\n',
    );
    expect(run.kind === 'run' && run.mounts).toEqual([
      { type: 'bind', target: '/src', source: 'src', readOnly: true },
      { type: 'cache', target: '/root/.cache', id: '/root/.cache', source: '', readOnly: false, sharing: 'shared', mode: 0o755, uid: 0, gid: 0 },
      { type: 'tmpfs', target: '/tmp', size: 64 * 1024 * 1024 },
      { type: 'secret', id: 'npmrc', target: '/run/secrets/npmrc', required: false, mode: 0o400, uid: 0, gid: 0 },
      { type: 'ssh', id: 'default', target: '/run/buildkit/ssh_agent.0', required: false, mode: 0o600, uid: 0, gid: 0 },
      { type: 'ssh', id: 'git', target: '/run/buildkit/ssh_agent.1', required: true, mode: 0o600, uid: 0, gid: 0 },
      { type: 'bind', target: '/ctx', source: '', readOnly: false },
    ]);
  });

  it('RUN --mount keys: from, sharing, mode/uid/gid, secret env and quoted CSV fields', () => {
    const run = typed('RUN --mount=type=cache,id=go,target=/go,from=base,sharing=locked,mode=0700,uid=1000,gid=1000 ' +
      '--mount=type=secret,id=tok,env=TOKEN --mount=type=bind,target=/a,\\"source=x,y\\" true\n');
    expect(run.kind === 'run' && run.mounts).toEqual([
      { type: 'cache', target: '/go', id: 'go', source: '', from: 'base', readOnly: false, sharing: 'locked', mode: 0o700, uid: 1000, gid: 1000 },
      { type: 'secret', id: 'tok', env: 'TOKEN', required: false, mode: 0o400, uid: 0, gid: 0 },
      { type: 'bind', target: '/a', source: 'x,y', readOnly: true },
    ]);
  });

  it('RUN with a heredoc carries it as a file', () => {
    expect(typed('RUN <<EOF\n#!/bin/sh\necho\nEOF\n')).toMatchObject({
      command: ['<<EOF'], prependShell: true, files: [{ name: 'EOF', data: '#!/bin/sh\necho\n', expand: true, chomp: false }],
    });
  });

  it('COPY flags: --from, --chown, --chmod octal and symbolic, --link, --parents, --exclude', () => {
    expect(typed('COPY --from=build --chown=app:app --chmod=0644 --link --parents --exclude=*.md --exclude=.git a b /dst/\n')).toMatchObject({
      kind: 'copy', from: 'build', chown: 'app:app', chmod: '0644', link: true, parents: true, exclude: ['*.md', '.git'],
      sources: ['a', 'b'], dest: '/dst/',
    });
    expect(typed('COPY --chmod=u+x,g-w a /b\n')).toMatchObject({ chmod: 'u+x,g-w' });
    expect(typed('COPY ["a b", "/c d"]\n')).toMatchObject({ sources: ['a b'], dest: '/c d', link: false, parents: false });
  });

  it('COPY heredoc sources become inline files; the rest stay paths', () => {
    expect(typed('COPY <<one.txt two.txt /dst/\nhello\none.txt\n')).toMatchObject({
      sources: ['two.txt'], contents: [{ name: 'one.txt', data: 'hello\n', expand: true }], dest: '/dst/',
    });
  });

  it('ADD flags: --checksum, --keep-git-dir, --unpack', () => {
    expect(typed('ADD --checksum=sha256:abc --keep-git-dir --unpack=false https://x/y.tgz /y\n')).toMatchObject({
      kind: 'add', checksum: 'sha256:abc', keepGitDir: true, unpack: false, sources: ['https://x/y.tgz'],
    });
  });

  it('ENV in both forms; LABEL', () => {
    expect(typed('ENV A b c\n')).toMatchObject({ env: [{ key: 'A', value: 'b c' }] });
    expect(typed('ENV A=1 B="two words"\n')).toMatchObject({ env: [{ key: 'A', value: '1' }, { key: 'B', value: '"two words"' }] });
    expect(typed('LABEL a=b c=d\n')).toMatchObject({ labels: [{ key: 'a', value: 'b' }, { key: 'c', value: 'd' }] });
  });

  it('ARG with and without defaults', () => {
    expect(typed('ARG a=1 b c=\n')).toMatchObject({ args: [{ key: 'a', value: '1' }, { key: 'b' }, { key: 'c', value: '' }] });
  });

  it('CMD / ENTRYPOINT / SHELL / WORKDIR / USER / EXPOSE / VOLUME / STOPSIGNAL / MAINTAINER', () => {
    expect(typed('CMD ["a"]\n')).toMatchObject({ kind: 'cmd', command: ['a'], prependShell: false });
    expect(typed('ENTRYPOINT exec app\n')).toMatchObject({ kind: 'entrypoint', command: ['exec app'], prependShell: true });
    expect(typed('SHELL ["pwsh", "-c"]\n')).toMatchObject({ shell: ['pwsh', '-c'] });
    expect(typed('WORKDIR /app\n')).toMatchObject({ path: '/app' });
    expect(typed('USER 1000:1000\n')).toMatchObject({ user: '1000:1000' });
    expect(typed('EXPOSE 80 443/tcp 53/udp 8000-8010 $PORT\n')).toMatchObject({ ports: ['80', '443/tcp', '53/udp', '8000-8010', '$PORT'] });
    expect(typed('VOLUME ["/a", "/b"]\n')).toMatchObject({ volumes: ['/a', '/b'] });
    expect(typed('STOPSIGNAL SIGQUIT\n')).toMatchObject({ signal: 'SIGQUIT' });
    for (const sig of ['9', 'kill', 'SIGRTMIN+3', 'sigusr1']) expect(typed(`STOPSIGNAL ${sig}\n`)).toMatchObject({ signal: sig });
    expect(typed('EXPOSE 127.0.0.1:8080:80/UDP 53/sctp\n')).toMatchObject({ ports: ['127.0.0.1:8080:80/UDP', '53/sctp'] });
    expect(typed('MAINTAINER me <me@x>\n')).toMatchObject({ maintainer: 'me <me@x>' });
  });

  it('HEALTHCHECK NONE, CMD shell and exec forms, all durations and retries', () => {
    expect(typed('HEALTHCHECK NONE\n')).toMatchObject({ test: ['NONE'] });
    expect(typed('HEALTHCHECK CMD curl -f http://localhost/\n')).toMatchObject({ test: ['CMD-SHELL', 'curl -f http://localhost/'] });
    expect(typed('HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --start-interval=1.5s --retries=0 CMD ["true"]\n')).toMatchObject({
      test: ['CMD', 'true'], interval: 90_000, timeout: 500, startPeriod: 2000, startInterval: 1500, retries: 0,
    });
  });

  it('ONBUILD keeps the trigger expression', () => {
    expect(typed('ONBUILD RUN make \\\n  install\n')).toMatchObject({ kind: 'onbuild', expression: 'RUN make   install' });
  });
});

describe('stages', () => {
  it('groups instructions under their FROM and keeps the ARGs before the first FROM', () => {
    const { metaArgs, stages } = parseInstructions(parse('ARG V=1\nFROM a:$V AS one\nRUN x\nFROM one\nCMD y\n'));
    expect(metaArgs.map((a) => a.args)).toEqual([[{ key: 'V', value: '1' }]]);
    expect(stages.map((s) => [s.index, s.name, s.from.baseName, s.instructions.map((i) => i.kind)])).toEqual([
      [0, 'one', 'a:$V', ['run']],
      [1, undefined, 'one', ['cmd']],
    ]);
  });
});

describe('runScript: how RUN <<EOF runs its body', () => {
  const run = (text: string) => {
    const ins = typed(text);
    if (ins.kind !== 'run') throw new Error('not RUN');
    return runScript(ins);
  };

  it('a #! body is executed as a file by its interpreter', () => {
    expect(run('RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n')).toMatchObject({
      kind: 'shebang', file: { name: 'EOF', data: '#!/usr/bin/env python3\nprint(1)\n' },
    });
  });

  it('any other body goes to the shell as one script; <<- strips tabs first', () => {
    expect(run('RUN <<-EOF\n\techo a\n\techo b\n\tEOF\n')).toEqual({ kind: 'shell', script: 'echo a\necho b\n', expand: true });
    expect(run("RUN <<'EOF'\necho $HOME\nEOF\n")).toEqual({ kind: 'shell', script: 'echo $HOME\n', expand: false });
  });

  it('a heredoc that is only an argument is not the script', () => {
    expect(run('RUN cat <<EOF\nx\nEOF\n')).toBeUndefined();
    expect(run('RUN echo hi\n')).toBeUndefined();
  });
});
