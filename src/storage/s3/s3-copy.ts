import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';

/** Largest object that one CopyObject call may copy, per the S3 API: 5 GiB. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;

/** S3 allows at most this many parts in one multipart upload. */
const MAX_PARTS = 10_000;

/** Part copies in flight at once during a multipart copy. */
const COPY_CONCURRENCY = 4;

/** A server-side copy inside one bucket. */
export interface CopyRequest {
  bucket: string;
  sourceKey: string;
  targetKey: string;
  /** Size of the source object in bytes. */
  size: number;
  /** Objects larger than this are copied part by part. */
  multipartThreshold: number;
  /** Bytes per copied part; raised when the object would need more than 10,000 parts. */
  partSize: number;
}

/**
 * Copies an object server-side: one CopyObject up to the threshold, otherwise a multipart upload
 * of UploadPartCopy ranges. A failed multipart copy is aborted so that no parts remain; the
 * abort's own failure is ignored because init() aborts stale uploads later.
 */
export async function copyObject(client: S3Client, request: CopyRequest): Promise<void> {
  const { bucket, targetKey } = request;
  const copySource = encodeCopySource(bucket, request.sourceKey);
  if (request.size <= request.multipartThreshold) {
    await client.send(
      new CopyObjectCommand({ Bucket: bucket, Key: targetKey, CopySource: copySource }),
    );
    return;
  }
  const created = await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: targetKey }),
  );
  const uploadId = created.UploadId;
  try {
    const parts = await copyParts(client, request, copySource, uploadId);
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: targetKey,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (err) {
    const abort = new AbortMultipartUploadCommand({
      Bucket: bucket,
      Key: targetKey,
      UploadId: uploadId,
    });
    await client.send(abort).catch(() => undefined);
    throw err;
  }
}

async function copyParts(
  client: S3Client,
  request: CopyRequest,
  copySource: string,
  uploadId: string | undefined,
): Promise<Array<{ PartNumber: number; ETag: string | undefined }>> {
  const partSize = Math.max(request.partSize, Math.ceil(request.size / MAX_PARTS));
  const ranges = partRanges(request.size, partSize);
  const parts: Array<{ PartNumber: number; ETag: string | undefined }> = [];
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < ranges.length && !failed) {
      const index = next++;
      const [start, end] = ranges[index]!;
      const result = await client.send(
        new UploadPartCopyCommand({
          Bucket: request.bucket,
          Key: request.targetKey,
          UploadId: uploadId,
          PartNumber: index + 1,
          CopySource: copySource,
          CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
      parts[index] = { PartNumber: index + 1, ETag: result.CopyPartResult?.ETag };
    }
  };
  const workers = Array.from({ length: Math.min(COPY_CONCURRENCY, ranges.length) }, () =>
    worker().catch((err: unknown) => {
      failed = true;
      throw err;
    }),
  );
  // Every worker settles before the caller aborts the upload, so no part copy is still running
  // when AbortMultipartUpload is sent (S3 may keep parts that finish after an abort).
  const outcomes = await Promise.allSettled(workers);
  const rejected = outcomes.find((outcome) => outcome.status === 'rejected');
  if (rejected) throw rejected.reason;
  return parts;
}

function partRanges(size: number, partSize: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let start = 0; start < size; start += partSize) {
    ranges.push([start, Math.min(start + partSize, size) - 1]);
  }
  return ranges;
}

/** Builds the `x-amz-copy-source` value: bucket and key, each key segment URL-encoded. */
function encodeCopySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}
