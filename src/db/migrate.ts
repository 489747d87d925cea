import { type MigrationResult, Migrator, NO_MIGRATIONS } from 'kysely';
import type { Config } from '../config/config.js';
import { StoreError } from '../errors/store-error.js';
import { openDatabase, type StoreDatabase } from './connection.js';
import { allMigrations } from './migrations/index.js';

/** Outcome of one migration, as Kysely's Migrator reports it. */
export type MigrationReport = Pick<MigrationResult, 'migrationName' | 'direction' | 'status'>;

function createMigrator(store: StoreDatabase): Migrator {
  return new Migrator({
    db: store.db,
    provider: { getMigrations: async () => allMigrations(store.kind) },
  });
}

function check(results: MigrationResult[] | undefined, error: unknown): MigrationReport[] {
  const reports = (results ?? []).map(({ migrationName, direction, status }) => ({
    migrationName,
    direction,
    status,
  }));
  if (error !== undefined) {
    const failed = reports.find((report) => report.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreError(
      'MIGRATION_FAILED',
      `database migration ${failed ?? ''} failed: ${reason}`.replace('  ', ' '),
      { migrations: reports },
      error,
    );
  }
  return reports;
}

/**
 * Applies every pending migration. Safe from several processes at once: Kysely's Migrator
 * takes a PostgreSQL advisory lock (a lock row on SQLite), so a second caller waits and then
 * finds nothing to do. Rejects a database whose applied migrations this build does not know.
 */
export async function migrateToLatest(store: StoreDatabase): Promise<MigrationReport[]> {
  const { results, error } = await createMigrator(store).migrateToLatest();
  return check(results, error);
}

/** Reverts every migration, dropping all tables and their data. */
export async function migrateDownAll(store: StoreDatabase): Promise<MigrationReport[]> {
  const { results, error } = await createMigrator(store).migrateTo(NO_MIGRATIONS);
  return check(results, error);
}

/** Opens the configured database, migrates it (after dropping everything when `fresh`), closes it. */
export async function migrateDatabase(
  config: Config,
  options: { fresh?: boolean } = {},
): Promise<MigrationReport[]> {
  const store = openDatabase(config);
  try {
    const reports: MigrationReport[] = [];
    if (options.fresh) reports.push(...(await migrateDownAll(store)));
    reports.push(...(await migrateToLatest(store)));
    return reports;
  } finally {
    await store.close();
  }
}
