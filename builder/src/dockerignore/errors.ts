import { BerthError } from '@berth/spec';

/** A .dockerignore line that Docker would refuse too (bad glob, lone `!`), or an unreadable file. */
export class DockerignoreError extends BerthError {
  /** The ignore file, when the patterns came from one. */
  readonly file: string | undefined;
  /** 1-based line of the offending pattern, when known. */
  readonly line: number | undefined;

  constructor(message: string, where: { file?: string; line?: number } = {}, options?: { cause?: unknown }) {
    const at = where.file !== undefined ? `${where.file}${where.line !== undefined ? `:${where.line}` : ''}: ` : '';
    super('ERR_BERTH_DOCKERIGNORE', `${at}${message}`, options);
    this.file = where.file;
    this.line = where.line;
  }
}
