import { BerthError } from '@berth/spec';

/** A cgroup operation failed: the message names the file or directory and the cause. */
export class CgroupError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BERTH_CGROUP', message, options);
  }
}

/**
 * The resources ask for something this host's cgroup setup cannot do (a v1-only
 * knob on v2, `unified` on v1, a missing controller). The message names the
 * config field, so nothing is silently dropped.
 */
export class CgroupUnsupportedError extends BerthError {
  constructor(message: string) {
    super('ERR_BERTH_CGROUP_UNSUPPORTED', message);
  }
}

/** A resource value is malformed or out of range; the message names the field. */
export class CgroupConfigError extends BerthError {
  constructor(message: string) {
    super('ERR_BERTH_CGROUP_CONFIG', message);
  }
}
