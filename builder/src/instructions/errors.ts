import { DockerfileError, type SourceRange } from '../parser/errors';

/** A keyword that is not a Dockerfile instruction (with a suggestion when one is close). */
export class UnknownInstructionError extends DockerfileError {
  readonly instruction: string;

  constructor(instruction: string, suggestion: string | undefined, location: SourceRange) {
    const hint = suggestion ? ` (did you mean ${suggestion}?)` : '';
    super('ERR_BERTH_DOCKERFILE_UNKNOWN_INSTRUCTION', `unknown instruction: ${instruction}${hint}`, location);
    this.instruction = instruction;
  }
}

/** An instruction with wrong arguments or flags: `ARG requires at least one argument`. */
export class InstructionError extends DockerfileError {
  constructor(detail: string, location: SourceRange) {
    super('ERR_BERTH_DOCKERFILE_INSTRUCTION', detail, location);
  }
}

/** The stages do not fit together: a --from to a later stage, a duplicate name, an unknown target. */
export class StageGraphError extends DockerfileError {
  constructor(detail: string, location: SourceRange) {
    super('ERR_BERTH_DOCKERFILE_STAGE', detail, location);
  }
}
