import type { Config } from '../config/config.js';
import { StoreError } from '../errors/store-error.js';
import type { StorageBackend } from './backend.js';
import { LocalBackend } from './local/local-backend.js';
import { S3Backend } from './s3/s3-backend.js';

/**
 * Builds the storage backend that `config.storage.backend` names. The caller runs `init()` on it
 * before use and `close()` at shutdown.
 */
export function createBackend(config: Config): StorageBackend {
  const { storage } = config;
  if (storage.backend === 'local') return new LocalBackend({ root: storage.localRoot });
  if (storage.s3 === undefined) {
    throw new StoreError(
      'INVALID_CONFIG',
      'missing ARTIFACTSTORE_S3_BUCKET: ARTIFACTSTORE_STORAGE_BACKEND=s3 needs a bucket name',
      { variable: 'ARTIFACTSTORE_S3_BUCKET' },
    );
  }
  return new S3Backend({ ...storage.s3, name: 's3' });
}
