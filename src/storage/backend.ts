import type { Readable } from 'node:stream';
import type { Digest } from '../identity/digest.js';

/**
 * Storage SPI. A backend stores immutable objects under their content address. It has no notion
 * of packages, events or the database, because the registry decides what is referenced.
 *
 * Contract shared by every implementation (the conformance suite in storage/conformance checks it):
 * - `put` hashes the bytes while writing them. Nothing is visible under a content address until
 *   the whole object is durable and its digest verified. Storing bytes that are already present
 *   succeeds with `created: false`. A failed or aborted `put` leaves no object, temp file, staging
 *   key or multipart part behind.
 * - Every method is safe to call concurrently, including concurrent `put` of equal bytes.
 * - A missing object makes `open` throw `OBJECT_NOT_FOUND`, and makes `stat` return null.
 */
export interface StorageBackend {
  /** Name of this backend in configuration and in the `storage_locations` view. */
  readonly name: string;

  /** Capability flags, so that callers branch on features rather than on the backend's kind. */
  readonly capabilities: StorageCapabilities;

  /** Prepares the backend and removes leftovers of writes that a crash interrupted. */
  init(): Promise<void>;

  /**
   * Streams `source` into the store, hashing as it goes. Rejects with `DIGEST_MISMATCH` when
   * `expectedDigest` is given and differs, with `SIZE_MISMATCH` when `expectedSize` differs, and
   * with `PAYLOAD_TOO_LARGE` once more than `maxSize` bytes arrive. Idempotent for equal bytes.
   */
  put(source: Readable, options?: PutOptions): Promise<PutResult>;

  /**
   * Opens a read stream over the whole object or an inclusive byte range. The range must lie
   * within the object (callers check it against `stat`).
   */
  open(digest: Digest, range?: ByteRange): Promise<Readable>;

  /** Returns the size of a stored object, or null when it is absent. */
  stat(digest: Digest): Promise<ObjectStat | null>;

  /** Tells whether an object is stored. */
  exists(digest: Digest): Promise<boolean>;

  /** Deletes an object. Returns false when it was already absent; never fails for that. */
  delete(digest: Digest): Promise<boolean>;

  /** Lists stored objects in digest order, one page at a time, starting after `after`. */
  list(options?: ListOptions): Promise<ListPage>;

  /** Probes that the backend is reachable and writable. Never throws. */
  health(): Promise<HealthReport>;

  /** Releases clients and handles. */
  close(): Promise<void>;
}

/** Capability flags with their meaning for callers. */
export interface StorageCapabilities {
  /** `open` with a range reads only that range rather than skipping bytes. */
  readonly rangeReads: boolean;
  /** Presigned download URLs can be produced (see `PresignableBackend`). */
  readonly presignedUrls: boolean;
  /** Concurrent operations the backend handles well; callers may bound fan-out by it. */
  readonly maxConcurrency: number;
}

/** Checks applied by `put` while the bytes flow. */
export interface PutOptions {
  expectedDigest?: Digest;
  expectedSize?: number;
  maxSize?: number;
  /** Aborting the signal stops the write and discards everything written so far. */
  signal?: AbortSignal;
}

/** Outcome of a successful `put`. */
export interface PutResult {
  digest: Digest;
  size: number;
  /** False when the object was already stored. */
  created: boolean;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Metadata of a stored object. */
export interface ObjectStat {
  size: number;
}

/** Paging options of `list`. */
export interface ListOptions {
  after?: Digest;
  limit?: number;
}

/** One page of `list`. `next` is the cursor for the following page, absent on the last one. */
export interface ListPage {
  items: Array<{ digest: Digest; size: number }>;
  next?: Digest;
}

/** Result of a health probe. */
export interface HealthReport {
  ok: boolean;
  detail?: string;
}

/** Backends that can hand out short-lived download URLs. */
export interface PresignableBackend extends StorageBackend {
  presignDownload(digest: Digest, expiresInSeconds: number): Promise<string>;
}
