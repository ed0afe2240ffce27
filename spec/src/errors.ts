/**
 * Every error berth throws on purpose is a BerthError with a stable `code`
 * (as undici does), so callers branch on `err.code`, never on message text.
 * Messages name the thing that is wrong: a file, a JSON path, a line, a digest.
 */
export class BerthError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A document failed its schema or could not be parsed as JSON. */
export class ValidationError extends BerthError {
  /** Each problem as `<json path>: <what was expected>`. */
  readonly problems: readonly string[];

  constructor(what: string, problems: readonly string[], options?: { cause?: unknown }) {
    super('ERR_BERTH_INVALID', `invalid ${what}: ${problems.join('; ')}`, options);
    this.problems = problems;
  }
}
