import { StoreError } from '../../errors/store-error.js';

/** Handling class of a failed S3 call: missing object, retryable failure, or permanent failure. */
export type S3ErrorKind = 'not-found' | 'retryable' | 'permanent';

/** Operation, bucket and key of a failed S3 call, for the error message. */
export interface S3Target {
  operation: string;
  bucket: string;
  key?: string;
  /** Values that must never appear in a message, such as the secret access key. */
  secrets?: ReadonlyArray<string | undefined>;
}

const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound', 'NoSuchUpload']);

const RETRYABLE_NAMES = new Set([
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TimeoutError',
  'TooManyRequestsException',
]);

const RETRYABLE_SYSTEM_CODES = new Set([
  'ECONNABORTED',
  'ECONNREFUSED',
  'ECONNRESET',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETIMEDOUT',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Classifies an error thrown by the AWS SDK. A missing bucket is permanent even though S3 returns
 * 404 for it, because it means a wrong configuration rather than a missing object. So is 501 Not
 * Implemented, which S3-compatible servers return for calls they lack. HeadObject returns a bare
 * 404 for a missing bucket, which this classifies as a missing object.
 */
export function classifyS3Error(err: unknown): S3ErrorKind {
  const shape = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const name = String(shape.name ?? '');
  const status = Number(shape.$metadata?.httpStatusCode ?? 0);
  if (name === 'NoSuchBucket' || name === 'NotImplemented' || status === 501) return 'permanent';
  if (NOT_FOUND_NAMES.has(name) || status === 404) return 'not-found';
  if (shape.$retryable || RETRYABLE_NAMES.has(name)) return 'retryable';
  if (status >= 500 || status === 429) return 'retryable';
  if (RETRYABLE_SYSTEM_CODES.has(String(shape.code ?? ''))) return 'retryable';
  return 'permanent';
}

/**
 * Maps an SDK error to `STORAGE_UNAVAILABLE` (retryable) or `STORAGE_ERROR` (anything else). The
 * message names the operation, bucket and key, and has every configured secret masked.
 */
export function toS3StoreError(err: unknown, target: S3Target): StoreError {
  if (err instanceof StoreError) return err;
  const kind = classifyS3Error(err);
  const shape = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const name = String(shape.name ?? 'Error');
  const status = shape.$metadata?.httpStatusCode;
  const where = target.key === undefined ? '' : ` key "${target.key}"`;
  const hint =
    kind === 'retryable'
      ? 'the endpoint is unreachable or overloaded; retry later'
      : 'check the ARTIFACTSTORE_S3_* settings and the permissions on the bucket';
  const reason = `${name}: ${String(shape.message ?? err)}`;
  const message = `S3 ${target.operation} failed for bucket "${target.bucket}"${where}: ${reason}; ${hint}`;
  const details = {
    operation: target.operation,
    bucket: target.bucket,
    key: target.key,
    s3Error: name,
    httpStatus: status,
    retryable: kind === 'retryable',
  };
  const code = kind === 'retryable' ? 'STORAGE_UNAVAILABLE' : 'STORAGE_ERROR';
  return new StoreError(code, maskSecrets(message, target.secrets), details, err);
}

function maskSecrets(text: string, secrets: S3Target['secrets']): string {
  let masked = text;
  for (const secret of secrets ?? []) {
    if (secret) masked = masked.split(secret).join('***');
  }
  return masked;
}
