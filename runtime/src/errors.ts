import { BerthError } from '@berth/spec';

/**
 * Runtime errors. Their messages keep runc's wording where callers match on
 * it: containerd looks for "does not exist", "container not running" and
 * "no such process".
 */
export class ContainerNotFoundError extends BerthError {
  constructor(id: string) {
    super('ERR_BERTH_CONTAINER_NOT_FOUND', `container ${id} does not exist`);
  }
}

export class ContainerExistsError extends BerthError {
  constructor(id: string) {
    super('ERR_BERTH_CONTAINER_EXISTS', `container with id exists: ${id}`);
  }
}

export class InvalidIdError extends BerthError {
  constructor(id: string, why: string) {
    super('ERR_BERTH_INVALID_ID', `invalid container id ${JSON.stringify(id)}: ${why}`);
  }
}

export class ContainerNotRunningError extends BerthError {
  constructor(id: string) {
    super('ERR_BERTH_CONTAINER_NOT_RUNNING', `container ${id}: container not running`);
  }
}

/** The container is in a state the operation does not accept (start twice, delete while running). */
export class ContainerStateError extends BerthError {
  constructor(message: string) {
    super('ERR_BERTH_CONTAINER_STATE', message);
  }
}

/** config.json asks for something berth refuses or does not support yet. */
export class ConfigError extends BerthError {
  constructor(message: string) {
    super('ERR_BERTH_CONFIG', message);
  }
}

/** A step inside berth-init failed: the message names the step and the errno. */
export class InitError extends BerthError {
  constructor(message: string) {
    super('ERR_BERTH_INIT', message);
  }
}

/** A command-line value is wrong (an unknown signal, a bad format). */
export class UsageError extends BerthError {
  constructor(message: string) {
    super('ERR_BERTH_USAGE', message);
  }
}
