/**
 * Lint rules of `build --check`, named and worded as BuildKit's build
 * checks (https://docs.docker.com/reference/build-checks/) so people can
 * look them up and silence them with `# check=skip=Rule`.
 */
import type { DockerfileAst, InstructionNode } from '../parser/node';
import type { DockerfileInstructions } from '../instructions/stages';
import { ShellLex } from '../shell/lexer';
import { platformArgs } from '../instructions/graph';
import type { Diagnostic } from './diagnostics';

const DOCS = 'https://docs.docker.com/go/dockerfile/rule/';

type Emit = (rule: string, slug: string, message: string, line: number) => void;

function isUpper(s: string): boolean {
  return s === s.toUpperCase();
}

function casingRules(ast: DockerfileAst, emit: Emit): void {
  const all: InstructionNode[] = [];
  for (const n of ast.instructions) {
    all.push(n);
    if (n.sub) all.push(n.sub);
  }
  const upper = all.filter((n) => isUpper(n.keyword)).length;
  const lower = all.filter((n) => n.keyword === n.keyword.toLowerCase()).length;
  const majority = upper >= lower ? 'uppercase' : 'lowercase';
  for (const n of all) {
    const ok = majority === 'uppercase' ? isUpper(n.keyword) : n.keyword === n.keyword.toLowerCase();
    if (!ok) {
      emit('ConsistentInstructionCasing', 'consistent-instruction-casing',
        `Command '${n.keyword}' should match the case of the command majority (${majority})`, n.startLine);
    }
  }
  for (const n of ast.instructions) {
    if (n.keyword.toLowerCase() !== 'from' || n.args.length !== 3) continue;
    const as = n.args[1] as string;
    if (as.toLowerCase() !== 'as') continue;
    if (isUpper(n.keyword) !== isUpper(as) || (n.keyword === n.keyword.toLowerCase()) !== (as === as.toLowerCase())) {
      emit('FromAsCasing', 'from-as-casing', `'${as}' and '${n.keyword}' keywords' casing do not match`, n.startLine);
    }
    const name = n.args[2] as string;
    if (name !== name.toLowerCase()) emit('StageNameCasing', 'stage-name-casing', `Stage name '${name}' should be lowercase`, n.startLine);
    if (['scratch', 'context'].includes(name.toLowerCase())) {
      emit('ReservedStageName', 'reserved-stage-name', `'${name}' is reserved and should not be used as a stage name`, n.startLine);
    }
  }
}

const SECRET_NAME = /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)/i;
const PUBLIC_NAME = /(?:_|^)public(?:_|$)/i;

/** ARG and ENV values end up in the image config and history, readable by anyone with the image. */
function secretRules(ins: DockerfileInstructions, emit: Emit): void {
  const args = [...ins.metaArgs, ...ins.stages.flatMap((s) => s.instructions)];
  for (const i of args) {
    const keys = i.kind === 'arg' ? i.args.map((a) => a.key) : i.kind === 'env' ? i.env.map((e) => e.key) : [];
    for (const key of keys) {
      if (SECRET_NAME.test(key) && !PUBLIC_NAME.test(key)) {
        emit('SecretsUsedInArgOrEnv', 'secrets-used-in-arg-or-env',
          `Do not use ARG or ENV instructions for sensitive data (${i.kind.toUpperCase()} ${JSON.stringify(key)})`, i.line);
      }
    }
  }
}

function stageRules(ins: DockerfileInstructions, escapeToken: '\\' | '`', emit: Emit): void {
  const lex = new ShellLex(escapeToken);
  const globals = new Set<string>([...platformArgs({ targetPlatform: 'linux/amd64', buildPlatform: 'linux/amd64' }).keys()]);
  for (const a of ins.metaArgs) for (const { key } of a.args) globals.add(key);
  for (const stage of ins.stages) {
    try {
      const { unmatched } = lex.expand(stage.from.baseName, new Map([...globals].map((k) => [k, 'x'])));
      for (const name of unmatched) {
        emit('UndefinedArgInFrom', 'undefined-arg-in-from', `FROM argument '${name}' is not declared`, stage.from.line);
      }
    } catch {
      // An unexpandable FROM is reported as an error by the stage graph.
    }
    const seen = new Map<string, number>();
    let workdirSet = false;
    for (const i of stage.instructions) {
      if (i.kind === 'maintainer') {
        emit('MaintainerDeprecated', 'maintainer-deprecated', 'Maintainer instruction is deprecated in favor of using label', i.line);
      }
      if ((i.kind === 'cmd' || i.kind === 'entrypoint') && i.prependShell && i.command.length > 0) {
        emit('JSONArgsRecommended', 'json-args-recommended',
          `JSON arguments recommended for ${i.kind.toUpperCase()} to prevent unintended behavior related to OS signals`, i.line);
      }
      if (i.kind === 'cmd' || i.kind === 'entrypoint' || i.kind === 'healthcheck') {
        const prev = seen.get(i.kind);
        if (prev !== undefined) {
          emit('MultipleInstructionsDisallowed', 'multiple-instructions-disallowed',
            `Multiple ${i.kind.toUpperCase()} instructions should not be used in the same stage because only the last one will be used`, prev);
        }
        seen.set(i.kind, i.line);
      }
      if (i.kind === 'workdir') {
        if (!workdirSet && !i.path.startsWith('/') && !i.path.startsWith('$')) {
          emit('WorkdirRelativePath', 'workdir-relative-path',
            `Relative workdir "${i.path}" can have unexpected results if the base image changes`, i.line);
        }
        workdirSet = true;
      }
    }
  }
}

/** Runs every rule; `emit` decides what is kept (skips, error=true). */
export function lint(ast: DockerfileAst, ins: DockerfileInstructions, push: (d: Diagnostic) => void): void {
  const emit: Emit = (rule, slug, message, line) =>
    push({ severity: 'warning', rule, message, file: ast.file, line, url: DOCS + slug + '/' });
  casingRules(ast, emit);
  stageRules(ins, ast.escapeToken, emit);
  secretRules(ins, emit);
}
