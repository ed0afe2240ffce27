/** Typed instructions grouped into build stages, with every error found on the way. */
import type { DockerfileAst } from '../parser/node';
import { DockerfileError } from '../parser/errors';
import { InstructionError, StageGraphError } from './errors';
import { parseInstruction } from './parse';
import type { ArgInstruction, FromInstruction, Instruction } from './types';

export interface Stage {
  readonly index: number;
  /** `AS name`, lower-cased. */
  readonly name?: string;
  readonly from: FromInstruction;
  /** The stage's instructions after FROM. */
  readonly instructions: readonly Instruction[];
}

export interface DockerfileInstructions {
  /** ARGs before the first FROM: usable in FROM lines only (and by `ARG name` in a stage). */
  readonly metaArgs: readonly ArgInstruction[];
  readonly stages: readonly Stage[];
}

/** Every error in the file, not only the first (for `build --check`). */
export interface CollectedInstructions extends DockerfileInstructions {
  readonly errors: readonly DockerfileError[];
}

export function collectInstructions(ast: DockerfileAst): CollectedInstructions {
  const metaArgs: ArgInstruction[] = [];
  const stages: { index: number; name?: string; from: FromInstruction; instructions: Instruction[] }[] = [];
  const errors: DockerfileError[] = [];
  for (const node of ast.instructions) {
    let ins: Instruction;
    try {
      ins = parseInstruction(node, ast.file);
    } catch (err) {
      if (err instanceof DockerfileError) {
        errors.push(err);
        continue;
      }
      throw err;
    }
    if (ins.kind === 'from') {
      stages.push({ index: stages.length, ...(ins.stageName ? { name: ins.stageName } : {}), from: ins, instructions: [] });
    } else if (stages.length > 0) {
      (stages[stages.length - 1] as (typeof stages)[number]).instructions.push(ins);
    } else if (ins.kind === 'arg') {
      metaArgs.push(ins);
    } else {
      errors.push(new InstructionError(
        `${node.keyword.toUpperCase()} before the first FROM: only ARG may come before FROM (no build stage in current context)`,
        { file: ast.file, startLine: node.startLine, endLine: node.endLine },
      ));
    }
  }
  const seen = new Map<string, Stage>();
  for (const stage of stages) {
    if (!stage.name) continue;
    const first = seen.get(stage.name);
    if (first) {
      errors.push(new StageGraphError(
        `duplicate stage name ${JSON.stringify(stage.name)}, first defined on line ${first.from.line}`,
        { file: ast.file, startLine: stage.from.line, endLine: stage.from.node.endLine },
      ));
    } else seen.set(stage.name, stage);
  }
  if (stages.length === 0 && errors.length === 0) {
    const last = ast.instructions[ast.instructions.length - 1];
    errors.push(new InstructionError('no FROM instruction: a Dockerfile needs at least one build stage', {
      file: ast.file, startLine: last?.startLine ?? 1, endLine: last?.endLine ?? 1,
    }));
  }
  return { metaArgs, stages, errors };
}

/** Typed instructions in stages; throws the first error. */
export function parseInstructions(ast: DockerfileAst): DockerfileInstructions {
  const { errors, metaArgs, stages } = collectInstructions(ast);
  if (errors.length > 0) throw errors[0];
  return { metaArgs, stages };
}
