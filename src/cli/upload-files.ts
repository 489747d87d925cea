import { createReadStream } from 'node:fs';
import type { StoreClient } from '../client/store-client.js';
import { isStoreError, StoreError } from '../errors/store-error.js';
import { createSizeCheck } from './file-size-check.js';
import type { TransferProgress } from './progress.js';
import { PoolItemError, runPool } from './run-pool.js';
import type { LocalFile } from './walk-directory.js';

/**
 * Streams one file from disk into an open package, counting bytes as they are read. A file
 * whose size differs from the one the walk found fails with SIZE_MISMATCH on this side, before
 * the HTTP client can notice that the body does not match its declared length.
 */
async function uploadFile(
  client: StoreClient,
  packageId: string,
  file: LocalFile,
  progress: TransferProgress,
  signal: AbortSignal,
): Promise<void> {
  const source = createReadStream(file.absolute);
  const counter = createSizeCheck(file, (bytes) => progress.addBytes(bytes));
  source.on('error', (err) => counter.destroy(err));
  source.pipe(counter);
  try {
    await client.uploadFile({ packageId, path: file.path, body: counter, size: file.size, signal });
  } finally {
    source.destroy();
  }
  progress.completeFile();
}

/**
 * Turns the failure of one upload into an error naming the file. A `StoreError` keeps its code,
 * so the exit status still distinguishes a conflict from an integrity failure, and gains
 * `packageId` and `path` in its details.
 */
function describeFailure(err: unknown, packageId: string): unknown {
  if (!(err instanceof PoolItemError)) return err;
  const file = err.item as LocalFile;
  const cause: unknown = err.cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  const message = `upload of ${JSON.stringify(file.path)} failed: ${reason}`;
  if (isStoreError(cause)) {
    const details = { ...cause.details, packageId, path: file.path };
    return new StoreError(cause.code, message, details, cause);
  }
  return new Error(message, { cause });
}

/**
 * Uploads `files` into an open package with `concurrency` uploads in flight. Rejects on the
 * first failure, after the uploads in flight have stopped, with an error naming the file. Files
 * uploaded before the failure stay in the package.
 */
export async function uploadFiles(
  client: StoreClient,
  packageId: string,
  files: readonly LocalFile[],
  options: { concurrency: number; progress: TransferProgress; signal: AbortSignal },
): Promise<void> {
  try {
    await runPool(files, options.concurrency, options.signal, (file, signal) =>
      uploadFile(client, packageId, file, options.progress, signal),
    );
  } catch (err) {
    throw describeFailure(err, packageId);
  }
}
