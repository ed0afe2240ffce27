import { BerthError } from '@berth/spec';

/** One entry of the distribution API's `{"errors": [...]}` body. */
export interface RegistryErrorDetail {
  code: string;
  message?: string;
  detail?: unknown;
}

/** Docker Hub's rate-limit headers, shown to people hitting the limit. */
export interface RateLimit {
  limit?: string;
  remaining?: string;
}

/**
 * A registry answered with an error status. `code` is ERR_BERTH_REGISTRY_<CODE>
 * for the registry's first error code (MANIFEST_UNKNOWN, DENIED, ...), so
 * callers can branch on it; `registryCode` holds the raw code.
 */
export class RegistryError extends BerthError {
  readonly status: number;
  readonly registryCode: string;
  readonly errors: readonly RegistryErrorDetail[];
  readonly rateLimit?: RateLimit;

  constructor(
    message: string,
    status: number,
    errors: readonly RegistryErrorDetail[],
    rateLimit?: RateLimit,
  ) {
    const registryCode = errors[0]?.code ?? statusCode(status);
    super(`ERR_BERTH_REGISTRY_${registryCode}`, message);
    this.status = status;
    this.registryCode = registryCode;
    this.errors = errors;
    this.rateLimit = rateLimit;
  }
}

function statusCode(status: number): string {
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'DENIED';
    case 404:
      return 'NOT_FOUND';
    case 429:
      return 'TOOMANYREQUESTS';
    default:
      return status >= 500 ? 'UNAVAILABLE' : `HTTP_${status}`;
  }
}

/** A manifest we will not handle (Docker schema 1, unknown media type). */
export class UnsupportedManifestError extends BerthError {
  constructor(message: string) {
    super('ERR_BERTH_UNSUPPORTED_MANIFEST', message);
  }
}

/** No manifest in an index matches the requested platform. */
export class PlatformNotFoundError extends BerthError {
  readonly available: readonly string[];
  constructor(ref: string, wanted: string, available: readonly string[]) {
    super(
      'ERR_BERTH_PLATFORM_NOT_FOUND',
      `no manifest for platform ${wanted} in ${ref}; available: ${available.join(', ') || 'none'}`,
    );
    this.available = available;
  }
}

export class AuthError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BERTH_AUTH', message, options);
  }
}

export class CredentialHelperError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BERTH_CREDENTIAL_HELPER', message, options);
  }
}

/** An archive or layout is malformed, unsafe, or fails verification. */
export class ArchiveError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BERTH_ARCHIVE', message, options);
  }
}

export { DigestMismatchError, SizeMismatchError } from '@berth/spec';
