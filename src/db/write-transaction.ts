import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import { StoreError, isStoreError } from '../errors/store-error.js';
import type { StoreDatabase } from './connection.js';
import { classifyDatabaseError, lockForWrite } from './dialect.js';
import type { Database } from './schema.js';

/** Attempts of one write transaction when the database reports a transient conflict. */
export const WRITE_ATTEMPTS = 8;

async function runOnce<T>(store: StoreDatabase, work: (trx: Kysely<Database>) => Promise<T>) {
  if (store.kind === 'postgres') {
    return store.db.transaction().execute(async (trx) => {
      await lockForWrite(store.kind, trx);
      return work(trx);
    });
  }
  // BEGIN IMMEDIATE takes SQLite's write lock up front. A deferred transaction that upgrades
  // from read to write later can fail with SQLITE_BUSY without waiting for the busy timeout.
  return store.db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const result = await work(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (err) {
      await sql`rollback`.execute(connection).catch(() => {});
      throw err;
    }
  });
}

/** Converts a database failure that is not the caller's fault into a StoreError. */
export function toStoreError(err: unknown): unknown {
  if (isStoreError(err)) return err;
  const kind = classifyDatabaseError(err);
  if (kind === 'unavailable') {
    return new StoreError(
      'DATABASE_UNAVAILABLE',
      'the metadata database is unavailable; retry once it is reachable again',
      {},
      err,
    );
  }
  return err;
}

/**
 * Runs `work` in one write transaction holding the store-wide write lock, so that all writers
 * are ordered and every check inside `work` sees every earlier commit. Transient conflicts
 * (SQLITE_BUSY, serialization failures, deadlocks) roll back and retry with jittered backoff, up
 * to WRITE_ATTEMPTS times; after that the caller gets CONFLICT_RETRIES_EXHAUSTED (HTTP 503).
 */
export async function writeTransaction<T>(
  store: StoreDatabase,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(store, work);
    } catch (err) {
      if (classifyDatabaseError(err) !== 'transient') throw toStoreError(err);
      if (attempt >= WRITE_ATTEMPTS) {
        throw new StoreError(
          'CONFLICT_RETRIES_EXHAUSTED',
          `the database stayed busy through ${WRITE_ATTEMPTS} attempts; retry the request`,
          { attempts: WRITE_ATTEMPTS },
          err,
        );
      }
      await sleep(Math.random() * 20 * 2 ** Math.min(attempt, 6));
    }
  }
}
