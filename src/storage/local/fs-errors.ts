import { StoreError } from '../../errors/store-error.js';

/** Returns the `code` of a Node.js system error (`ENOENT`, `EEXIST`, …), or undefined. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

const PERMISSION_HINT =
  "permission denied; give the store's user write access to ARTIFACTSTORE_STORAGE_LOCAL_ROOT";
const MISSING_DIRECTORY_HINT =
  'a directory of the store is missing; check ARTIFACTSTORE_STORAGE_LOCAL_ROOT and restart the store so that init() recreates blake3/ and tmp/';

/** Problem and next step for each system error code that an operator can fix. */
const HINTS: Readonly<Record<string, string>> = {
  ENOSPC:
    'no space left on device; free disk space or point ARTIFACTSTORE_STORAGE_LOCAL_ROOT at a larger filesystem',
  EACCES: PERMISSION_HINT,
  EPERM: PERMISSION_HINT,
  EROFS: 'read-only filesystem; point ARTIFACTSTORE_STORAGE_LOCAL_ROOT at a writable filesystem',
  ENOENT: MISSING_DIRECTORY_HINT,
  ENOTDIR: MISSING_DIRECTORY_HINT,
};

/**
 * Maps a filesystem failure during `operation` on `path` to `STORAGE_ERROR`, keeping the original
 * error as `cause`. Disk-full, permission and missing-directory errors get a message that names
 * the fix. None of them is retryable, and `details.retryable` is false for every error built here.
 */
export function toStorageError(err: unknown, operation: string, path: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = errorCode(err);
  const hint = code === undefined ? undefined : HINTS[code];
  const reason = err instanceof Error ? err.message : String(err);
  const message = hint === undefined ? reason : `${hint} (${code})`;
  const details = { operation, path, errno: code, retryable: false };
  return new StoreError(
    'STORAGE_ERROR',
    `${operation} failed on ${path}: ${message}`,
    details,
    err,
  );
}
