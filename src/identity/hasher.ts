import { Blake3Hasher } from '@napi-rs/blake-hash';
import { Transform, type TransformCallback } from 'node:stream';
import { StoreError } from '../errors/store-error.js';
import { type Digest, formatDigest } from './digest.js';

/** Incremental BLAKE3 over a byte stream, backed by the native binding. */
export class ContentHasher {
  #hasher = new Blake3Hasher();
  #size = 0;

  /** Adds bytes to the hash. */
  update(chunk: Uint8Array): void {
    this.#hasher.update(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    this.#size += chunk.byteLength;
  }

  /** Number of bytes hashed so far. */
  get size(): number {
    return this.#size;
  }

  /** Returns the content address of everything hashed so far. */
  digest(): Digest {
    return formatDigest(this.#hasher.digest('hex'));
  }
}

/** Returns the content address of an in-memory buffer (manifests, test data). */
export function digestOf(bytes: Uint8Array | string): Digest {
  const hasher = new ContentHasher();
  hasher.update(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  return hasher.digest();
}

/** Limits applied while bytes pass through a `HashingStream`. */
export interface HashingStreamOptions {
  /** Reject the stream once more than this many bytes have passed. */
  maxSize?: number;
}

/**
 * Pass-through stream that hashes and counts the bytes flowing through it, and fails with
 * `PAYLOAD_TOO_LARGE` as soon as the size limit is exceeded, before the excess is written.
 */
export class HashingStream extends Transform {
  readonly hasher = new ContentHasher();
  readonly #maxSize: number;

  constructor(options: HashingStreamOptions = {}) {
    super();
    this.#maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.hasher.size + chunk.byteLength > this.#maxSize) {
      callback(
        new StoreError(
          'PAYLOAD_TOO_LARGE',
          `upload exceeds the size limit of ${this.#maxSize} bytes; raise ARTIFACTSTORE_MAX_UPLOAD_BYTES or split the file`,
          { limit: this.#maxSize },
        ),
      );
      return;
    }
    this.hasher.update(chunk);
    callback(null, chunk);
  }
}
