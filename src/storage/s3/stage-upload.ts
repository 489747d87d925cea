import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../../identity/digest.js';
import { HashingStream } from '../../identity/hasher.js';
import type { PutOptions } from '../backend.js';
import { callerSideFailure, FailureOrigin, uploadAbortedError } from '../contract-checks.js';
import { type S3Target, toS3StoreError } from './s3-errors.js';

/** Bytes per multipart part. Memory per upload is bounded by PART_SIZE * QUEUE_SIZE. */
export const PART_SIZE = 8 * 1024 * 1024;

/** Parts uploaded in parallel by one `put`. */
export const QUEUE_SIZE = 4;

/**
 * Streams `source` through a `HashingStream` into the staging key `target.key` and returns the
 * digest and size of what was sent. On failure every multipart upload it began is aborted; a
 * staging object that a single PutObject completed is left for the caller to delete.
 *
 * `Upload.abort()` is not used: in lib-storage 3.1178 it makes `done()` reject at once while part
 * requests keep running, so a part or the staging object could appear after the cleanup. The
 * upload is stopped by destroying its body instead, and `done()` settles only after every
 * request it started has finished and lib-storage has aborted the multipart upload.
 */
export async function stageUpload(
  client: S3Client,
  target: S3Target & { key: string },
  source: Readable,
  options: PutOptions,
): Promise<{ digest: Digest; size: number }> {
  const { signal } = options;
  const hashing = new HashingStream({ maxSize: options.maxSize });
  const origin = new FailureOrigin().watch(source, 'source').watch(hashing, 'store');
  const upload = new Upload({
    client,
    params: { Bucket: target.bucket, Key: target.key, Body: hashing },
    partSize: PART_SIZE,
    queueSize: QUEUE_SIZE,
  });
  const stop = () => hashing.destroy(uploadAbortedError(signal));
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const uploading = upload.done().catch((err: unknown) => {
      hashing.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    });
    const outcomes = await Promise.allSettled([uploading, pipeline(source, hashing)]);
    const rejected = outcomes.find((outcome) => outcome.status === 'rejected');
    if (rejected !== undefined) {
      await abortMultipartUpload(client, target, upload.uploadId);
      throw (
        callerSideFailure(rejected.reason, origin.sourceFailedFirst, signal) ??
        toS3StoreError(rejected.reason, target)
      );
    }
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  if (signal?.aborted) throw uploadAbortedError(signal);
  return { digest: hashing.hasher.digest(), size: hashing.hasher.size };
}

/**
 * Aborts a multipart upload that lib-storage may have left open. Failures are ignored so that the
 * caller reports the error that stopped the upload; init() aborts uploads that stay behind.
 */
async function abortMultipartUpload(
  client: S3Client,
  target: S3Target & { key: string },
  uploadId: string | undefined,
): Promise<void> {
  if (uploadId === undefined) return;
  const command = new AbortMultipartUploadCommand({
    Bucket: target.bucket,
    Key: target.key,
    UploadId: uploadId,
  });
  await client.send(command).catch(() => undefined);
}
