import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { classifyS3Error, type S3Target, toS3StoreError } from './s3-errors.js';

/** Search scope and age cutoff of `removeStaleUploads`. */
export interface StaleUploadScope {
  bucket: string;
  /** Key prefix of staging objects, such as `<prefix>staging/`. */
  stagingPrefix: string;
  /** Key prefixes under which multipart uploads are aborted: staging and committed objects. */
  uploadPrefixes: string[];
  /** Leftovers started at or before this time (ms since the epoch) are removed. */
  cutoff: number;
  secrets?: ReadonlyArray<string | undefined>;
}

/**
 * Aborts multipart uploads and deletes staging objects that started at or before the cutoff,
 * because they are leftovers of processes that crashed during a `put`. Younger ones may belong to
 * a running process and stay. Several processes may run this at once: an upload or object that
 * another process removed first counts as removed.
 */
export async function removeStaleUploads(client: S3Client, scope: StaleUploadScope): Promise<void> {
  for (const prefix of scope.uploadPrefixes) await abortStaleUploads(client, scope, prefix);
  await deleteStaleStagingObjects(client, scope);
}

async function abortStaleUploads(
  client: S3Client,
  scope: StaleUploadScope,
  prefix: string,
): Promise<void> {
  const target = { operation: 'ListMultipartUploads', bucket: scope.bucket, key: prefix };
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await client
      .send(
        new ListMultipartUploadsCommand({
          Bucket: scope.bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      )
      .catch((err: unknown) => {
        // Some S3-compatible servers (s3rver among them) do not implement this call. Then there
        // is nothing this pass can find; staging objects are still removed below.
        if ((err as { name?: unknown }).name === 'NotImplemented') return undefined;
        throw toS3StoreError(err, { ...target, secrets: scope.secrets });
      });
    if (page === undefined) return;
    for (const upload of page.Uploads ?? []) {
      if (upload.Initiated === undefined || upload.Initiated.getTime() > scope.cutoff) continue;
      const abort = new AbortMultipartUploadCommand({
        Bucket: scope.bucket,
        Key: upload.Key,
        UploadId: upload.UploadId,
      });
      await ignoringNotFound(() => client.send(abort), 'AbortMultipartUpload', scope, upload.Key);
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker !== undefined);
}

async function deleteStaleStagingObjects(client: S3Client, scope: StaleUploadScope): Promise<void> {
  let token: string | undefined;
  do {
    const page = await client
      .send(
        new ListObjectsV2Command({
          Bucket: scope.bucket,
          Prefix: scope.stagingPrefix,
          ContinuationToken: token,
        }),
      )
      .catch((err: unknown) => {
        const target = {
          operation: 'ListObjectsV2',
          bucket: scope.bucket,
          key: scope.stagingPrefix,
        };
        throw toS3StoreError(err, { ...target, secrets: scope.secrets });
      });
    for (const object of page.Contents ?? []) {
      if (object.LastModified === undefined || object.LastModified.getTime() > scope.cutoff) {
        continue;
      }
      const remove = new DeleteObjectCommand({ Bucket: scope.bucket, Key: object.Key });
      await ignoringNotFound(() => client.send(remove), 'DeleteObject', scope, object.Key);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

async function ignoringNotFound(
  send: () => Promise<unknown>,
  operation: string,
  scope: StaleUploadScope,
  key: string | undefined,
): Promise<void> {
  try {
    await send();
  } catch (err) {
    if (classifyS3Error(err) === 'not-found') return;
    const target: S3Target = { operation, bucket: scope.bucket, key, secrets: scope.secrets };
    throw toS3StoreError(err, target);
  }
}
