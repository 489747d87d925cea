import type { Config } from '../config/config.js';
import type { StorageBackend } from './backend.js';
import { LocalBackend } from './local/local-backend.js';

/** Creates the storage backend that `config` selects for new writes. */
export function createBackend(config: Config): StorageBackend {
  if (config.storage.backend === 'local') return new LocalBackend({ root: config.storage.localRoot });
  throw new Error('the S3 backend is not available in this build');
}
