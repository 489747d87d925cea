import type { Readable, Writable } from 'node:stream';
import { StoreError } from '../errors/store-error.js';
import type { Digest } from '../identity/digest.js';
import type { ByteRange, PutOptions } from './backend.js';

/** Page size of `list` when the caller gives none. */
export const DEFAULT_LIST_LIMIT = 1000;

/** Largest page size `list` accepts. */
export const MAX_LIST_LIMIT = 10_000;

/** Rejects with `INVALID_RANGE` unless `range` is a well-formed inclusive byte range. */
export function checkByteRange(range: ByteRange): void {
  const { start, end } = range;
  if (Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && end >= start) {
    return;
  }
  throw new StoreError(
    'INVALID_RANGE',
    `invalid byte range ${start}-${end}: expected integers with 0 <= start <= end`,
    { start, end },
  );
}

/** Returns the page size of a `list` call, rejecting values outside 1..MAX_LIST_LIMIT. */
export function resolveListLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (Number.isSafeInteger(limit) && limit >= 1 && limit <= MAX_LIST_LIMIT) return limit;
  throw new StoreError(
    'INVALID_ARGUMENT',
    `invalid list limit ${limit}: expected an integer from 1 to ${MAX_LIST_LIMIT}`,
    { limit },
  );
}

/**
 * Compares what `put` received with what the caller expected. Throws `DIGEST_MISMATCH` or
 * `SIZE_MISMATCH`; the digest is checked first because it also covers the size.
 */
export function verifyPutResult(digest: Digest, size: number, options: PutOptions): void {
  const { expectedDigest, expectedSize } = options;
  if (expectedDigest !== undefined && expectedDigest !== digest) {
    throw new StoreError(
      'DIGEST_MISMATCH',
      `content digest mismatch: expected ${expectedDigest} but the received bytes hash to ${digest}; nothing was stored, so retry the upload with the right bytes or digest`,
      { expected: expectedDigest, actual: digest, size },
    );
  }
  if (expectedSize !== undefined && expectedSize !== size) {
    throw new StoreError(
      'SIZE_MISMATCH',
      `content size mismatch: expected ${expectedSize} bytes but received ${size}; nothing was stored, so retry the upload with the complete file`,
      { expected: expectedSize, actual: size },
    );
  }
}

/** Builds the error `put` rejects with once its abort signal fires. */
export function uploadAbortedError(signal: AbortSignal | undefined): StoreError {
  return new StoreError(
    'UPLOAD_ABORTED',
    'upload aborted by the caller before it was stored; nothing was kept',
    {},
    signal?.reason,
  );
}

/** Builds the error `open` raises for an object that `backend` does not store. */
export function objectNotFoundError(digest: Digest, backend: string): StoreError {
  return new StoreError(
    'OBJECT_NOT_FOUND',
    `object ${digest} not found in storage backend "${backend}"`,
    { digest, backend },
  );
}

/**
 * Records which side of a `put` pipeline failed first. When one stream fails, `pipeline` destroys
 * the others with the same error, so only the order of the `error` events shows whether the
 * caller's source or the store's sink broke. Register streams before calling `pipeline`.
 */
export class FailureOrigin {
  #first: 'source' | 'store' | undefined;

  /** Starts watching `stream` as part of `side`. */
  watch(stream: Readable | Writable, side: 'source' | 'store'): this {
    stream.on('error', () => {
      this.#first ??= side;
    });
    return this;
  }

  /** Tells whether the caller's source emitted the first error. */
  get sourceFailedFirst(): boolean {
    return this.#first === 'source';
  }
}

/**
 * Returns the `UPLOAD_ABORTED` error for a `put` that failed on the caller's side: its signal
 * fired, its source stream failed first, or its source closed before the end. Returns undefined
 * when the failure lies with the store, or when `err` is already a `StoreError`.
 */
export function callerSideFailure(
  err: unknown,
  sourceFailedFirst: boolean,
  signal: AbortSignal | undefined,
): StoreError | undefined {
  if (signal?.aborted) return uploadAbortedError(signal);
  if (err instanceof StoreError) return undefined;
  const prematureClose = (err as { code?: unknown } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
  if (!sourceFailedFirst && !prematureClose) return undefined;
  const reason = err instanceof Error ? err.message : String(err);
  return new StoreError(
    'UPLOAD_ABORTED',
    `upload failed because its source stream failed (${reason}); nothing was stored, so retry the upload`,
    {},
    err,
  );
}
