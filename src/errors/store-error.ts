/**
 * Error catalog. Every failure the store reports to a caller is a `StoreError` with a stable
 * `code`, an HTTP status and optional structured `details`. Callers branch on `code` or on the
 * predicates at the end of this file, never on message text. docs/errors.md lists every code.
 */

/** Stable error codes. Adding one requires a row in docs/errors.md (a test checks this). */
export const ERROR_CODES = {
  INVALID_ARGUMENT: 400,
  INVALID_PATH: 400,
  INVALID_DIGEST: 400,
  INVALID_METADATA: 400,
  INVALID_RANGE: 400,
  INVALID_CURSOR: 400,
  INVALID_MANIFEST: 422,
  UNKNOWN_RETENTION_CLASS: 400,
  DIGEST_MISMATCH: 400,
  SIZE_MISMATCH: 400,
  PAYLOAD_TOO_LARGE: 413,
  PACKAGE_NOT_FOUND: 404,
  FILE_NOT_FOUND: 404,
  OBJECT_NOT_FOUND: 404,
  PACKAGE_FINALIZED: 409,
  PACKAGE_NOT_FINALIZED: 409,
  DUPLICATE_PATH: 409,
  PATH_CONFLICT: 409,
  STORE_NOT_EMPTY: 409,
  RANGE_NOT_SATISFIABLE: 416,
  UPLOAD_ABORTED: 400,
  INTEGRITY_ERROR: 500,
  STORAGE_ERROR: 500,
  DATABASE_UNAVAILABLE: 503,
  STORAGE_UNAVAILABLE: 503,
  CONFLICT_RETRIES_EXHAUSTED: 503,
  INVALID_CONFIG: 500,
  MIGRATION_FAILED: 500,
  ROUTE_NOT_FOUND: 404,
  NOT_ACCEPTABLE: 406,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  INTERNAL_ERROR: 500,
  SERVER_UNAVAILABLE: 503,
  UNEXPECTED_RESPONSE: 502,
} as const;

/** One of the stable error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Structured context attached to an error: the value at fault, the expected value, and so on. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/** Base class of every error the store raises on purpose. */
export class StoreError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StoreError';
    this.code = code;
    this.httpStatus = ERROR_CODES[code];
    this.details = details;
  }
}

/** Tells whether `err` is a `StoreError`, optionally with one of the given codes. */
export function isStoreError(err: unknown, ...codes: ErrorCode[]): err is StoreError {
  if (!(err instanceof StoreError)) return false;
  return codes.length === 0 || codes.includes(err.code);
}

/** Tells whether `err` reports a missing package, file or object. */
export function isNotFound(err: unknown): err is StoreError {
  return isStoreError(err, 'PACKAGE_NOT_FOUND', 'FILE_NOT_FOUND', 'OBJECT_NOT_FOUND');
}

/** Tells whether `err` reports corrupted stored bytes. */
export function isIntegrityError(err: unknown): err is StoreError {
  return isStoreError(err, 'INTEGRITY_ERROR');
}
