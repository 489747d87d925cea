import type { Config } from '../config/config.js';
import { StoreError } from '../errors/store-error.js';
import type { StorageBackend } from './backend.js';
import { LocalBackend } from './local/local-backend.js';

/**
 * Builds the storage backend that `config.storage.backend` names. The caller runs `init()` on it
 * before use and `close()` at shutdown. The S3 backend and its SDK are loaded only when
 * configured, which keeps them out of the memory of a store that uses local storage.
 */
export async function createBackend(config: Config): Promise<StorageBackend> {
  const { storage } = config;
  if (storage.backend === 'local') return new LocalBackend({ root: storage.localRoot });
  if (storage.s3 === undefined) {
    throw new StoreError(
      'INVALID_CONFIG',
      'missing ARTIFACTSTORE_S3_BUCKET: ARTIFACTSTORE_STORAGE_BACKEND=s3 needs a bucket name',
      { variable: 'ARTIFACTSTORE_S3_BUCKET' },
    );
  }
  const { S3Backend } = await import('./s3/s3-backend.js');
  return new S3Backend({ ...storage.s3, name: 's3' });
}
