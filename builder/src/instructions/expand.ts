/**
 * Variable expansion of a typed instruction, at the point the build reaches
 * it: which fields BuildKit expands (ENV, ARG, LABEL, COPY/ADD, WORKDIR,
 * USER, VOLUME, EXPOSE, STOPSIGNAL, RUN --mount values) and which it leaves
 * to the shell at run time (RUN, CMD, ENTRYPOINT, HEALTHCHECK, SHELL, ONBUILD).
 */
import type { SourceRange } from '../parser/errors';
import { ShellLex, type EscapeToken, type ShellEnv } from '../shell/lexer';
import { InstructionError } from './errors';
import type { AddInstruction, CopyInstruction, Instruction, KeyValue, RunMount } from './types';
import { chmodProblem, isSignal, portProblem } from './values';

/**
 * Returns `ins` with its words expanded against `env` (the build args and
 * ENV in effect before this instruction; a variable keeps that one value
 * for the whole instruction, so `ENV a=x b=$a` gives `b` the old `a`).
 * Throws InstructionError naming the line when a word cannot be expanded.
 */
export function expandInstruction(ins: Instruction, env: ShellEnv, escapeToken: EscapeToken = '\\', file = 'Dockerfile'): Instruction {
  const lex = new ShellLex(escapeToken);
  const where: SourceRange = { file, startLine: ins.node.startLine, endLine: ins.node.endLine };
  const fail = (message: string): never => {
    throw new InstructionError(message, where);
  };
  const word = (w: string): string => {
    try {
      return lex.processWord(w, env);
    } catch (err) {
      return fail((err as Error).message);
    }
  };
  const words = (w: string): string[] => {
    try {
      return lex.processWords(w, env);
    } catch (err) {
      return fail((err as Error).message);
    }
  };
  const opt = (w: string | undefined): string | undefined => (w === undefined ? undefined : word(w));
  const pairs = (kv: readonly KeyValue[]): KeyValue[] => kv.map(({ key, value }) => ({ key: word(key), value: word(value) }));
  const defined = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

  const expandCopy = (c: CopyInstruction, chmod: string | undefined): CopyInstruction =>
    defined({ ...c, sources: c.sources.map(word), dest: word(c.dest), from: opt(c.from), chown: opt(c.chown), chmod, exclude: c.exclude.map(word) });
  const expandAdd = (a: AddInstruction, chmod: string | undefined): AddInstruction =>
    defined({
      ...a, sources: a.sources.map(word), dest: word(a.dest), chown: opt(a.chown), chmod, checksum: opt(a.checksum),
      exclude: a.exclude.map(word),
    });

  switch (ins.kind) {
    case 'env':
      return { ...ins, env: pairs(ins.env) };
    case 'label':
      return { ...ins, labels: pairs(ins.labels) };
    case 'arg':
      return { ...ins, args: ins.args.map((a) => (a.value === undefined ? { key: word(a.key) } : { key: word(a.key), value: word(a.value) })) };
    case 'workdir':
      return { ...ins, path: word(ins.path) };
    case 'user':
      return { ...ins, user: word(ins.user) };
    case 'stopsignal': {
      const signal = word(ins.signal);
      if (!isSignal(signal)) fail(`Invalid signal: ${signal}`);
      return { ...ins, signal };
    }
    case 'volume': {
      const volumes = ins.volumes.map(word);
      if (volumes.some((v) => v.trim() === '')) fail('VOLUME specified can not be an empty string');
      return { ...ins, volumes };
    }
    case 'expose': {
      const ports = ins.ports.flatMap(words);
      for (const p of ports) {
        const problem = portProblem(p);
        if (problem) fail(problem);
      }
      return { ...ins, ports };
    }
    case 'copy':
    case 'add': {
      const chmod = opt(ins.chmod);
      const problem = chmod === undefined ? undefined : chmodProblem(chmod);
      if (problem) fail(problem);
      return ins.kind === 'copy' ? expandCopy(ins, chmod) : expandAdd(ins, chmod);
    }
    case 'from':
      return defined({ ...ins, baseName: word(ins.baseName), platform: opt(ins.platform) });
    case 'run':
      return { ...ins, mounts: ins.mounts.map((m) => expandMount(m, word)) };
    default:
      // RUN/CMD/ENTRYPOINT/HEALTHCHECK commands and SHELL are the shell's business; ONBUILD runs in a child build.
      return ins;
  }
}

function expandMount(m: RunMount, word: (w: string) => string): RunMount {
  switch (m.type) {
    case 'bind':
      return { ...m, target: word(m.target), source: word(m.source), ...(m.from !== undefined ? { from: word(m.from) } : {}) };
    case 'cache':
      return {
        ...m, target: word(m.target), id: word(m.id), source: word(m.source), ...(m.from !== undefined ? { from: word(m.from) } : {}),
      };
    case 'tmpfs':
      return { ...m, target: word(m.target) };
    case 'secret':
      return { ...m, id: word(m.id), ...(m.target !== undefined ? { target: word(m.target) } : {}), ...(m.env !== undefined ? { env: word(m.env) } : {}) };
    case 'ssh':
      return { ...m, id: word(m.id), target: word(m.target) };
  }
}
