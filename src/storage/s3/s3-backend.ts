import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Config } from '../../config/config.js';
import { type Digest, formatDigest, parseDigest } from '../../identity/digest.js';
import type {
  ByteRange,
  HealthReport,
  ListOptions,
  ListPage,
  ObjectStat,
  PutOptions,
  PresignableBackend,
  PutResult,
  StorageCapabilities,
} from '../backend.js';
import {
  checkByteRange,
  objectNotFoundError,
  resolveListLimit,
  uploadAbortedError,
  verifyPutResult,
} from '../contract-checks.js';
import { OBJECT_PREFIX, S3_LAYOUT_VERSION, STAGING_PREFIX, objectKey } from '../layout.js';
import { copyObject, MAX_SINGLE_COPY_BYTES } from './s3-copy.js';
import { classifyS3Error, type S3Target, toS3StoreError } from './s3-errors.js';
import { removeStaleUploads } from './remove-stale-uploads.js';
import { stageUpload } from './stage-upload.js';

/** Settings of an `S3Backend`: the S3 configuration plus tuning that tests lower. */
export interface S3BackendOptions extends S3Config {
  /** Backend name in configuration and views; defaults to `s3`. */
  name?: string;
  /** Age in ms after which init() removes staging objects and multipart uploads; default 1 h. */
  staleUploadAgeMs?: number;
  /** Objects larger than this are copied from staging with UploadPartCopy; default 5 GiB. */
  multipartCopyThreshold?: number;
  /** Bytes per UploadPartCopy call; default 512 MiB. */
  copyPartSize?: number;
}

/** Default of `staleUploadAgeMs`: one hour. */
export const DEFAULT_STALE_UPLOAD_AGE_MS = 60 * 60 * 1000;

const DEFAULT_COPY_PART_SIZE = 512 * 1024 * 1024;

/**
 * Storage backend on an S3-compatible object store (AWS SDK v3). A `put` uploads to a random
 * staging key while hashing, verifies digest and size, then copies server-side to the object key
 * and deletes the staging key. Objects live under `<prefix>blake3/…` as in storage/layout.ts.
 */
export class S3Backend implements PresignableBackend {
  readonly name: string;

  readonly capabilities: StorageCapabilities = Object.freeze({
    rangeReads: true,
    presignedUrls: true,
    maxConcurrency: 16,
  });

  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #secrets: ReadonlyArray<string | undefined>;
  readonly #staleUploadAgeMs: number;
  readonly #multipartCopyThreshold: number;
  readonly #copyPartSize: number;

  constructor(options: S3BackendOptions) {
    this.name = options.name ?? 's3';
    this.#bucket = options.bucket;
    this.#prefix = options.prefix;
    this.#secrets = [options.secretAccessKey];
    this.#staleUploadAgeMs = options.staleUploadAgeMs ?? DEFAULT_STALE_UPLOAD_AGE_MS;
    this.#multipartCopyThreshold = options.multipartCopyThreshold ?? MAX_SINGLE_COPY_BYTES;
    this.#copyPartSize = options.copyPartSize ?? DEFAULT_COPY_PART_SIZE;
    this.#client = createClient(options);
  }

  /** Aborts multipart uploads and deletes staging objects older than `staleUploadAgeMs`. */
  async init(): Promise<void> {
    await removeStaleUploads(this.#client, {
      bucket: this.#bucket,
      stagingPrefix: this.#prefix + STAGING_PREFIX,
      uploadPrefixes: [this.#prefix + STAGING_PREFIX, this.#prefix + OBJECT_PREFIX],
      cutoff: Date.now() - this.#staleUploadAgeMs,
      secrets: this.#secrets,
    });
  }

  /**
   * Uploads `source` to a staging key, verifies it, and copies it to its object key unless that
   * already exists. The staging key is deleted on every path.
   */
  async put(source: Readable, options: PutOptions = {}): Promise<PutResult> {
    if (options.signal?.aborted) throw uploadAbortedError(options.signal);
    const stagingKey = `${this.#prefix}${STAGING_PREFIX}${randomUUID()}`;
    const staging = this.#target('PutObject', stagingKey);
    try {
      const { digest, size } = await stageUpload(this.#client, staging, source, options);
      verifyPutResult(digest, size, options);
      const created = await this.#commit(stagingKey, digest, size);
      return { digest, size, created };
    } finally {
      await this.#deleteStaging(stagingKey);
    }
  }

  /** Opens the object, or `range` of it, with a ranged GetObject. */
  async open(digest: Digest, range?: ByteRange): Promise<Readable> {
    if (range !== undefined) checkByteRange(range);
    const key = this.#objectKey(digest);
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      Range: range === undefined ? undefined : `bytes=${range.start}-${range.end}`,
    });
    try {
      const { Body } = await this.#client.send(command);
      if (Body instanceof Readable) return Body;
      throw new TypeError(`GetObject returned a body of an unexpected type for key "${key}"`);
    } catch (err) {
      if (classifyS3Error(err) === 'not-found') throw objectNotFoundError(digest, this.name);
      throw toS3StoreError(err, this.#target('GetObject', key));
    }
  }

  /**
   * Returns a URL that serves the whole object with a GetObject signed for `expiresInSeconds`.
   * Signing happens locally and does not check that the object exists.
   */
  async presignDownload(digest: Digest, expiresInSeconds: number): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(digest) });
    return getSignedUrl(this.#client, command, { expiresIn: expiresInSeconds });
  }

  /** Returns the object's size from HeadObject, or null when it is absent. */
  async stat(digest: Digest): Promise<ObjectStat | null> {
    const size = await this.#headSize(this.#objectKey(digest));
    return size === null ? null : { size };
  }

  /** Tells whether the object is stored. */
  async exists(digest: Digest): Promise<boolean> {
    return (await this.stat(digest)) !== null;
  }

  /**
   * Deletes the object; returns false when it was already absent. S3 deletes succeed for missing
   * keys, so a HeadObject first distinguishes the two cases.
   */
  async delete(digest: Digest): Promise<boolean> {
    const key = this.#objectKey(digest);
    if ((await this.#headSize(key)) === null) return false;
    await this.#send('DeleteObject', key, () =>
      this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key })),
    );
    return true;
  }

  /** Lists objects in digest order with ListObjectsV2 and StartAfter. */
  async list(options: ListOptions = {}): Promise<ListPage> {
    const limit = resolveListLimit(options.limit);
    const prefix = this.#prefix + OBJECT_PREFIX;
    const items: ListPage['items'] = [];
    let startAfter = options.after === undefined ? undefined : this.#objectKey(options.after);
    let token: string | undefined;
    do {
      const page = await this.#send('ListObjectsV2', prefix, () =>
        this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: prefix,
            StartAfter: startAfter,
            ContinuationToken: token,
            MaxKeys: Math.min(1000, limit + 1 - items.length),
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        const digest = this.#digestOfKey(object.Key);
        if (digest !== undefined) items.push({ digest, size: object.Size ?? 0 });
      }
      startAfter = undefined;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined && items.length <= limit);
    // One item past the page proves that a next page exists.
    if (items.length <= limit) return { items };
    items.length = limit;
    return { items, next: items[limit - 1]?.digest };
  }

  /** Puts and deletes a probe object under `staging/`. Never throws. */
  async health(): Promise<HealthReport> {
    const key = `${this.#prefix}${STAGING_PREFIX}health-${randomUUID()}`;
    try {
      await this.#send('PutObject', key, () =>
        this.#client.send(
          new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: 'health probe\n' }),
        ),
      );
      await this.#send('DeleteObject', key, () =>
        this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key })),
      );
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Closes the SDK client's sockets. */
  async close(): Promise<void> {
    this.#client.destroy();
  }

  async #commit(stagingKey: string, digest: Digest, size: number): Promise<boolean> {
    const key = this.#objectKey(digest);
    if ((await this.#headSize(key)) !== null) return false;
    await this.#send('CopyObject', key, () =>
      copyObject(this.#client, {
        bucket: this.#bucket,
        sourceKey: stagingKey,
        targetKey: key,
        size,
        multipartThreshold: this.#multipartCopyThreshold,
        partSize: this.#copyPartSize,
      }),
    );
    return true;
  }

  /**
   * Deletes a staging key and ignores failures, so that the caller gets the outcome of its `put`.
   * A staging key that stays behind is deleted by init() once it is older than `staleUploadAgeMs`.
   */
  async #deleteStaging(key: string): Promise<void> {
    const command = new DeleteObjectCommand({ Bucket: this.#bucket, Key: key });
    await this.#client.send(command).catch(() => undefined);
  }

  async #headSize(key: string): Promise<number | null> {
    try {
      const head = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: key }),
      );
      return head.ContentLength ?? 0;
    } catch (err) {
      if (classifyS3Error(err) === 'not-found') return null;
      throw toS3StoreError(err, this.#target('HeadObject', key));
    }
  }

  async #send<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toS3StoreError(err, this.#target(operation, key));
    }
  }

  #target(operation: string, key: string): S3Target & { key: string } {
    return { operation, bucket: this.#bucket, key, secrets: this.#secrets };
  }

  #objectKey(digest: Digest): string {
    return this.#prefix + objectKey(parseDigest(digest), S3_LAYOUT_VERSION);
  }

  #digestOfKey(key: string | undefined): Digest | undefined {
    if (key === undefined || !key.startsWith(this.#prefix)) return undefined;
    const match = /^blake3\/([0-9a-f]{2})\/([0-9a-f]{2})\/(\1\2[0-9a-f]{60})$/.exec(
      key.slice(this.#prefix.length),
    );
    return match?.[3] === undefined ? undefined : formatDigest(match[3]);
  }
}

/**
 * Builds the SDK client. Without an access key pair the SDK's default credential chain applies
 * (environment, shared config, instance role). Connections time out after 5 s and idle sockets
 * after 60 s, so an unreachable endpoint fails instead of hanging a request.
 */
function createClient(options: S3Config): S3Client {
  const { accessKeyId, secretAccessKey } = options;
  return new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
}
