import { BerthError } from '@berth/spec';

/**
 * A word could not be expanded: an unterminated quote, a malformed `${...}`, an
 * unsupported modifier or a bad glob in `${v#p}`-style patterns. `word` is the
 * whole word being expanded, `reason` the problem in BuildKit's wording.
 */
export class ShellSyntaxError extends BerthError {
  readonly word: string;
  readonly reason: string;

  constructor(word: string, reason: string) {
    super('ERR_BERTH_SHELL_SYNTAX', `failed to process ${JSON.stringify(word)}: ${reason}`);
    this.word = word;
    this.reason = reason;
  }
}

/** `${v?msg}` met an unset variable, or `${v:?msg}` an unset or empty one. */
export class RequiredVariableError extends BerthError {
  readonly word: string;
  readonly variable: string;
  readonly reason: string;

  constructor(word: string, variable: string, reason: string) {
    super('ERR_BERTH_SHELL_REQUIRED_VARIABLE', `failed to process ${JSON.stringify(word)}: ${variable}: ${reason}`);
    this.word = word;
    this.variable = variable;
    this.reason = reason;
  }
}
