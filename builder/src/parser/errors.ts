import { BerthError } from '@berth/spec';

/** Where in which Dockerfile a problem is: 1-based, inclusive lines. */
export interface SourceRange {
  readonly file: string;
  readonly startLine: number;
  readonly endLine: number;
}

/**
 * A Dockerfile that cannot be used, located to a line. The message reads
 * `Dockerfile:7: unknown instruction: FORM (did you mean FROM?)`, the way
 * compilers print errors, so editors and people can jump to the line;
 * `detail` is the same text without the location.
 */
export class DockerfileError extends BerthError {
  readonly detail: string;
  readonly location: SourceRange;

  constructor(code: string, detail: string, location: SourceRange, options?: { cause?: unknown }) {
    super(code, `${location.file}:${location.startLine}: ${detail}`, options);
    this.detail = detail;
    this.location = location;
  }
}

/** The text is not a Dockerfile: bad directive, unterminated heredoc, no instructions... */
export class DockerfileSyntaxError extends DockerfileError {
  constructor(detail: string, location: SourceRange) {
    super('ERR_BERTH_DOCKERFILE_SYNTAX', detail, location);
  }
}
