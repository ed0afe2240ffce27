import { BerthError } from '@berth/spec';

/** Docker's exit statuses for a container that never ran its command. */
export const EXIT_BERTH_ERROR = 125;
export const EXIT_CANNOT_EXECUTE = 126;
export const EXIT_NOT_FOUND = 127;

/**
 * `berth run` failed before the command ran: `exitCode` is what the CLI
 * exits with (125 for berth's own errors, 126/127 when the command cannot be
 * executed or found, as `docker run`).
 */
export class RunError extends BerthError {
  constructor(
    code: string,
    message: string,
    readonly exitCode: number = EXIT_BERTH_ERROR,
  ) {
    super(code, message);
  }
}

/** A bad flag value (`-e`, `--env-file`, `-u`, `--name`, ...). */
export class RunUsageError extends RunError {
  constructor(message: string) {
    super('ERR_BERTH_RUN_USAGE', message);
  }
}

/** `-u NAME` (or the image's User) names a user or group the image does not have. */
export class UnknownUserError extends RunError {
  constructor(message: string) {
    super('ERR_BERTH_RUN_UNKNOWN_USER', message);
  }
}

/** `--name` is taken by another container. */
export class NameConflictError extends RunError {
  constructor(name: string, id: string) {
    super(
      'ERR_BERTH_RUN_NAME_CONFLICT',
      `Conflict. The container name "/${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
  }
}

/** The command could not be started (not found: 127, not executable: 126). */
export class ExecError extends RunError {
  constructor(message: string, exitCode: number) {
    super('ERR_BERTH_RUN_EXEC', message, exitCode);
  }
}

/** berth was told to stop (SIGINT/SIGTERM) before the container started. */
export class CancelledError extends RunError {
  constructor(signal: NodeJS.Signals, exitCode: number) {
    super('ERR_BERTH_RUN_CANCELLED', `interrupted by ${signal} before the container started`, exitCode);
  }
}
