import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { openDatabase } from '../db/connection.js';
import { migrateToLatest } from '../db/migrate.js';
import { createBackendSet } from '../storage/backend-set.js';
import { Registry } from './registry.js';

/** Options of `openRegistry`. */
export interface OpenRegistryOptions {
  logger?: Logger;
  /** Apply pending migrations before opening (default true). */
  migrate?: boolean;
}

/**
 * Opens the database and the storage backend named by `config`, applies pending migrations,
 * removes leftovers of interrupted writes, and returns the registry.
 */
export async function openRegistry(
  config: Config,
  options: OpenRegistryOptions = {},
): Promise<Registry> {
  const backends = await createBackendSet(config);
  const store = openDatabase(config);
  try {
    if (options.migrate !== false) {
      const applied = await migrateToLatest(store);
      for (const migration of applied) {
        options.logger?.info({ migration: migration.migrationName }, 'migration applied');
      }
    }
    await backends.init();
  } catch (err) {
    await Promise.allSettled([store.close(), backends.close()]);
    throw err;
  }
  return new Registry({ config, store, backends, logger: options.logger });
}
