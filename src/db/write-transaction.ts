import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import { StoreError, isStoreError } from '../errors/store-error.js';
import type { StoreDatabase } from './connection.js';
import { classifyDatabaseError, lockForWrite } from './dialect.js';
import type { Database } from './schema.js';

/** Attempts of one write transaction when the database reports a transient conflict. */
export const WRITE_ATTEMPTS = 8;

/** Last queued write of each SQLite database file in this process, keyed by its display URL. */
const sqliteWriteQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `work` after every earlier write that this process queued on the same SQLite file. The
 * busy timeout of better-sqlite3 waits synchronously and blocks the event loop. So a second
 * connection in this process that waited for the lock would also stall the holder until the
 * timeout expired, for example a finalize that holds the lock while it stores the manifest.
 * Queueing here keeps that wait asynchronous. Other processes still wait in the busy timeout.
 */
export async function queueSqliteWrite<T>(
  store: StoreDatabase,
  work: () => Promise<T>,
): Promise<T> {
  if (store.kind !== 'sqlite') return work();
  const key = store.displayUrl;
  const run = (sqliteWriteQueues.get(key) ?? Promise.resolve()).then(work, work);
  const tail = run.catch(() => {});
  sqliteWriteQueues.set(key, tail);
  try {
    return await run;
  } finally {
    if (sqliteWriteQueues.get(key) === tail) sqliteWriteQueues.delete(key);
  }
}

async function runOnce<T>(store: StoreDatabase, work: (trx: Kysely<Database>) => Promise<T>) {
  if (store.kind === 'postgres') {
    return store.db.transaction().execute(async (trx) => {
      await lockForWrite(store.kind, trx);
      return work(trx);
    });
  }
  const result = await queueSqliteWrite(store, () => runSqliteOnce(store, work));
  // Outside the queue, so that the next transaction runs while this one's WAL frames are flushed.
  await store.syncCommitted();
  return result;
}

async function runSqliteOnce<T>(store: StoreDatabase, work: (trx: Kysely<Database>) => Promise<T>) {
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
  if (kind === 'timeout') {
    return new StoreError(
      'DATABASE_UNAVAILABLE',
      'the metadata database did not finish a statement within ARTIFACTSTORE_DB_STATEMENT_TIMEOUT_MS; retry the request, and raise the timeout if this keeps happening',
      { variable: 'ARTIFACTSTORE_DB_STATEMENT_TIMEOUT_MS' },
      err,
    );
  }
  return err;
}

/**
 * Runs `work` in one write transaction holding the store-wide write lock, so that all writers
 * are ordered and every check inside `work` sees every earlier commit. Transient conflicts
 * (SQLITE_BUSY, serialization failures, deadlocks) roll back and retry with jittered backoff, up
 * to `options.attempts` times (default WRITE_ATTEMPTS); after that the caller gets
 * CONFLICT_RETRIES_EXHAUSTED (HTTP 503). Work that consumes a stream must pass `attempts: 1`,
 * because a retry would run it again on what is left of the stream.
 */
export async function writeTransaction<T>(
  store: StoreDatabase,
  work: (trx: Kysely<Database>) => Promise<T>,
  options: { attempts?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? WRITE_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(store, work);
    } catch (err) {
      if (classifyDatabaseError(err) !== 'transient') throw toStoreError(err);
      if (attempt >= attempts) {
        throw new StoreError(
          'CONFLICT_RETRIES_EXHAUSTED',
          `the database stayed busy through ${attempts} attempts; retry the request`,
          { attempts },
          err,
        );
      }
      await sleep(Math.random() * 20 * 2 ** Math.min(attempt, 6));
    }
  }
}
