import {
  type Kysely,
  type MigrationResult,
  type MigrationResultSet,
  Migrator,
  NO_MIGRATIONS,
  sql,
} from 'kysely';
import type { Config } from '../config/config.js';
import { StoreError } from '../errors/store-error.js';
import { openDatabase, type StoreDatabase } from './connection.js';
import { classifyDatabaseError } from './dialect.js';
import { allMigrations } from './migrations/index.js';
import type { Database } from './schema.js';
import { queueSqliteWrite, toStoreError } from './write-transaction.js';

/** Outcome of one migration, as Kysely's Migrator reports it. */
export type MigrationReport = Pick<MigrationResult, 'migrationName' | 'direction' | 'status'>;

/**
 * Builds a Migrator for `db`. On PostgreSQL it names the current schema: without a schema Kysely
 * looks for its migration tables in every schema of the database, so a store in a second schema
 * would find the first store's tables and fail on its own missing ones.
 */
async function createMigrator(store: StoreDatabase, db: Kysely<Database>): Promise<Migrator> {
  let migrationTableSchema: string | undefined;
  if (store.kind === 'postgres') {
    const { rows } = await sql<{
      schema: string | null;
    }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = rows[0]?.schema ?? undefined;
  }
  return new Migrator({
    db,
    provider: { getMigrations: async () => allMigrations(store.kind) },
    migrationTableSchema,
  });
}

/**
 * Runs one Migrator operation. On SQLite the whole run happens in one BEGIN IMMEDIATE
 * transaction, because Kysely takes no lock there and runs each migration outside a
 * transaction: two processes starting on a fresh file would both apply the first migration, and
 * a crash halfway would leave a partial schema. PostgreSQL needs nothing extra, because Kysely
 * holds an advisory lock and runs the migrations in a transaction.
 */
async function runMigrator(
  store: StoreDatabase,
  operation: (migrator: Migrator) => Promise<MigrationResultSet>,
): Promise<MigrationResultSet> {
  try {
    if (store.kind === 'postgres') return await runPostgresMigrator(store, operation);
    const resultSet = await queueSqliteWrite(store, () =>
      store.db.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        let resultSet: MigrationResultSet;
        try {
          resultSet = await operation(await createMigrator(store, connection));
        } catch (err) {
          await sql`rollback`.execute(connection);
          throw err;
        }
        await sql.raw(resultSet.error === undefined ? 'commit' : 'rollback').execute(connection);
        return resultSet;
      }),
    );
    await store.syncCommitted();
    return resultSet;
  } catch (error) {
    // Failures outside the Migrator (connecting, locking) are reported the way it reports its own.
    return { error };
  }
}

/** Runs of a PostgreSQL Migrator operation when a concurrent drop broke its catalog query. */
const POSTGRES_MIGRATOR_ATTEMPTS = 3;

/**
 * Runs a Migrator operation on PostgreSQL. Before migrating, Kysely lists the tables of every
 * schema and calls `pg_get_serial_sequence` on each. When another store in the same database
 * drops a table or schema meanwhile, that query fails with undefined_table (42P01) naming the
 * other store's table. Nothing has been migrated then, so the run is repeated.
 */
async function runPostgresMigrator(
  store: StoreDatabase,
  operation: (migrator: Migrator) => Promise<MigrationResultSet>,
): Promise<MigrationResultSet> {
  for (let attempt = 1; ; attempt++) {
    const resultSet = await operation(await createMigrator(store, store.db));
    const code = (resultSet.error as { code?: unknown } | undefined)?.code;
    const migrated = resultSet.results?.some((result) => result.status !== 'NotExecuted');
    if (code !== '42P01' || migrated === true || attempt >= POSTGRES_MIGRATOR_ATTEMPTS) {
      return resultSet;
    }
  }
}

/** Names of applied migrations that this build does not include; empty when none or unknown. */
async function unknownAppliedMigrations(store: StoreDatabase): Promise<string[]> {
  const known = new Set(Object.keys(allMigrations(store.kind)));
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(
      store.db,
    );
    return rows.map((row) => row.name).filter((name) => !known.has(name));
  } catch {
    return [];
  }
}

/**
 * Returns the reports of a successful run. Raises DATABASE_UNAVAILABLE when the database could
 * not be reached, and MIGRATION_FAILED saying why for any other failure.
 */
async function check(
  store: StoreDatabase,
  { results, error }: MigrationResultSet,
): Promise<MigrationReport[]> {
  const reports = (results ?? []).map(({ migrationName, direction, status }) => ({
    migrationName,
    direction,
    status,
  }));
  if (error === undefined) return reports;
  const kind = classifyDatabaseError(error);
  if (kind === 'unavailable' || kind === 'timeout') throw toStoreError(error);

  const unknown = await unknownAppliedMigrations(store);
  if (unknown.length > 0) {
    throw new StoreError(
      'MIGRATION_FAILED',
      `the database has migration ${unknown.join(', ')} applied, which this version of artifactstore does not include: a newer version migrated it. Run that version, or restore a backup taken before the upgrade`,
      { unknownMigrations: unknown, migrations: reports },
      error,
    );
  }
  const failed = reports.find((report) => report.status === 'Error')?.migrationName;
  const reason = error instanceof Error ? error.message : String(error);
  throw new StoreError(
    'MIGRATION_FAILED',
    `database migration ${failed ?? ''} failed: ${reason}`.replace('  ', ' '),
    { migrations: reports },
    error,
  );
}

/**
 * Applies every pending migration. Safe from several processes at once: PostgreSQL runs take
 * Kysely's advisory lock and SQLite runs take the write lock (see `runMigrator`), so a second
 * caller waits and then finds nothing to do. Rejects a database whose applied migrations this
 * build does not include.
 */
export async function migrateToLatest(store: StoreDatabase): Promise<MigrationReport[]> {
  return check(store, await runMigrator(store, (migrator) => migrator.migrateToLatest()));
}

/** Reverts every migration, dropping all tables and their data. */
export async function migrateDownAll(store: StoreDatabase): Promise<MigrationReport[]> {
  return check(store, await runMigrator(store, (migrator) => migrator.migrateTo(NO_MIGRATIONS)));
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
