import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** The two supported metadata databases. */
export type DatabaseKind = 'sqlite' | 'postgres';

/** Classification of a database error, used for retries and HTTP statuses. */
export type DatabaseErrorKind =
  | 'transient'
  | 'unique-violation'
  | 'unavailable'
  | 'timeout'
  | 'other';

const SQLITE_TRANSIENT = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']);
const SQLITE_UNIQUE = new Set(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE']);
/** serialization_failure, deadlock_detected, lock_not_available. */
const PG_TRANSIENT = new Set(['40001', '40P01', '55P03']);
/** Connection exceptions (08xxx), admin/crash shutdown, cannot connect now, too many connections. */
const PG_UNAVAILABLE = /^(08...|57P01|57P02|57P03|53300)$/;
/** query_canceled: PostgreSQL raises it when `statement_timeout` expires. */
const PG_STATEMENT_TIMEOUT = '57014';
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** Sorts a database error into the kinds the store reacts to. */
export function classifyDatabaseError(err: unknown): DatabaseErrorKind {
  if (typeof err !== 'object' || err === null) return 'other';
  const code = String((err as { code?: unknown }).code ?? '');
  const message = String((err as { message?: unknown }).message ?? '');
  if (SQLITE_TRANSIENT.has(code) || PG_TRANSIENT.has(code)) return 'transient';
  if (SQLITE_UNIQUE.has(code) || code === '23505') return 'unique-violation';
  if (PG_UNAVAILABLE.test(code) || NETWORK_CODES.has(code)) return 'unavailable';
  if (code === PG_STATEMENT_TIMEOUT) return 'timeout';
  if (
    /timeout exceeded when trying to connect|Connection terminated|connection is closed|Client has encountered a connection error/i.test(
      message,
    )
  ) {
    return 'unavailable';
  }
  return 'other';
}

/**
 * Takes the store-wide write lock inside a transaction. PostgreSQL locks the event head row, so
 * writers run one at a time and every check made after this point sees all earlier commits.
 * SQLite needs nothing here because write transactions start with BEGIN IMMEDIATE, which already
 * holds the database's single write lock.
 */
export async function lockForWrite(kind: DatabaseKind, trx: Kysely<Database>): Promise<void> {
  if (kind === 'postgres') {
    await sql`select last_seq from event_head where id = 1 for update`.execute(trx);
  }
}
