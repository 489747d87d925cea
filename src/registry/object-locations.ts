import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { toStoreError } from '../db/write-transaction.js';
import { StoreError } from '../errors/store-error.js';
import type { Digest } from '../identity/digest.js';
import type { PresignableBackend, StorageBackend } from '../storage/backend.js';
import type { BackendSet } from '../storage/backend-set.js';

/**
 * Lookup of object locations. Reads `storage_locations` and runs reads against the configured
 * backends that store an object, the write backend first.
 */
export class ObjectLocations {
  readonly #db: Kysely<Database>;
  readonly #backends: BackendSet;
  readonly #logger: Logger | undefined;

  constructor(db: Kysely<Database>, backends: BackendSet, logger?: Logger) {
    this.#db = db;
    this.#backends = backends;
    this.#logger = logger;
  }

  /** Names of the backends that `storage_locations` records for an object. */
  async of(digest: Digest): Promise<string[]> {
    try {
      const rows = await this.#db
        .selectFrom('storage_locations')
        .select('backend')
        .where('digest', '=', digest)
        .execute();
      return rows.map((row) => row.backend);
    } catch (err) {
      throw toStoreError(err);
    }
  }

  /**
   * Runs `read` against each configured backend that stores the object, the write backend first,
   * until one succeeds. A backend that lacks the object or fails is logged and skipped; when all
   * fail, the last error is raised.
   */
  async read<T>(digest: Digest, read: (backend: StorageBackend) => Promise<T>): Promise<T> {
    const locations = await this.of(digest);
    let lastError: unknown;
    for (const backend of this.#backends.readOrder(locations)) {
      try {
        return await read(backend);
      } catch (err) {
        lastError = err;
        this.#logger?.warn(
          { err, digest, backend: backend.name },
          'read failed, trying another location',
        );
      }
    }
    if (lastError !== undefined) throw lastError;
    throw new StoreError(
      'OBJECT_NOT_FOUND',
      `object ${digest} is recorded only in backends that are not configured (${locations.join(', ') || 'none'}); add one of them to ARTIFACTSTORE_STORAGE_BACKENDS`,
      { digest, locations },
    );
  }

  /** Returns the first configured backend holding the object that can presign, if any. */
  async presignable(digest: Digest): Promise<PresignableBackend | undefined> {
    const locations = await this.of(digest);
    return this.#backends.readOrder(locations).find(isPresignable);
  }
}

function isPresignable(backend: StorageBackend): backend is PresignableBackend {
  return (
    backend.capabilities.presignedUrls &&
    typeof (backend as Partial<PresignableBackend>).presignDownload === 'function'
  );
}
