import { createInterface } from 'node:readline';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { StoreDatabase } from '../db/connection.js';
import { classifyDatabaseError } from '../db/dialect.js';
import { type Database, VIEW_TABLES } from '../db/schema.js';
import { writeTransaction } from '../db/write-transaction.js';
import { StoreError, isStoreError } from '../errors/store-error.js';
import {
  formatEventLine,
  formatHeaderLine,
  parseEventLine,
  parseHeaderLine,
} from './event-lines.js';
import { readEvents, toRow } from './event-log.js';
import type { RecordedEvent } from './event-types.js';
import { checkEventApplies } from './view-checks.js';
import { applyEvent } from './view-writer.js';

export { EVENT_EXPORT_FORMAT, EVENT_EXPORT_VERSION } from './event-lines.js';

/** Events read from the database, or inserted into it, per statement. */
const TRANSFER_BATCH = 500;

/** Outcome of an export or import. */
export interface TransferResult {
  /** Number of events written or imported. */
  events: number;
  /** Sequence number of the last event; 0 for an empty log. */
  lastSeq: number;
}

/** Options of `exportEvents` and `importEvents`. */
export interface TransferOptions {
  /** Called after each batch with the number of events transferred so far. */
  onProgress?: (events: number) => void;
}

async function readLastSeq(db: Kysely<Database>): Promise<number> {
  const head = await db.selectFrom('event_head').select('last_seq').executeTakeFirstOrThrow();
  return Number(head.last_seq);
}

async function* exportLines(store: StoreDatabase, lastSeq: number, options: TransferOptions) {
  yield formatHeaderLine(lastSeq);
  let after = 0;
  while (after < lastSeq) {
    const batch = await readEvents(store.db, after, Math.min(TRANSFER_BATCH, lastSeq - after));
    for (const event of batch) {
      if (event.seq !== after + 1) {
        throw new StoreError(
          'INTEGRITY_ERROR',
          `the event log has no event ${after + 1} (next is ${event.seq}) although the event head is at ${lastSeq}; the database was changed outside artifactstore`,
          { missingSeq: after + 1, lastSeq },
        );
      }
      after = event.seq;
      yield formatEventLine(event);
    }
    if (batch.length === 0) break;
    options.onProgress?.(after);
  }
  if (after !== lastSeq) {
    throw new StoreError(
      'INTEGRITY_ERROR',
      `the event log ends at seq ${after} although the event head is at ${lastSeq}; the database was changed outside artifactstore`,
      { lastSeq, found: after },
    );
  }
}

/**
 * Writes the event log to `output` as NDJSON (format in event-lines.ts): a header line, then
 * every event from seq 1 in order. The export covers the events committed when it starts, so
 * writers may keep working meanwhile. Does not end `output`, so it can be stdout; the caller ends
 * it. Raises INTEGRITY_ERROR when the log has a gap.
 */
export async function exportEvents(
  store: StoreDatabase,
  output: Writable,
  options: TransferOptions = {},
): Promise<TransferResult> {
  const lastSeq = await readLastSeq(store.db);
  await pipeline(Readable.from(exportLines(store, lastSeq, options)), output, { end: false });
  return { events: lastSeq, lastSeq };
}

async function assertEmpty(db: Kysely<Database>, displayUrl: string): Promise<void> {
  const rows: Record<string, number> = {};
  for (const table of ['events', ...VIEW_TABLES] as const) {
    const row = await db.selectFrom(table).select(db.fn.countAll().as('rows')).executeTakeFirst();
    if (Number(row?.rows ?? 0) > 0) rows[table] = Number(row?.rows);
  }
  const lastSeq = await readLastSeq(db);
  if (lastSeq === 0 && Object.keys(rows).length === 0) return;
  const found = Object.entries(rows).map(([table, count]) => `${count} rows in ${table}`);
  throw new StoreError(
    'STORE_NOT_EMPTY',
    `cannot import events into ${displayUrl}: it is not empty (event head at seq ${lastSeq}${found.map((text) => `, ${text}`).join('')}); import into a freshly migrated, empty store`,
    { database: displayUrl, lastSeq, rows },
  );
}

/** Inserts a batch of events and applies each to the views, in sequence order. */
async function insertBatch(trx: Kysely<Database>, batch: RecordedEvent[]): Promise<void> {
  if (batch.length === 0) return;
  await trx.insertInto('events').values(batch.map(toRow)).execute();
  for (const event of batch) {
    try {
      await checkEventApplies(trx, event);
    } catch (err) {
      if (!isStoreError(err)) throw err;
      throw new StoreError(
        'INVALID_ARGUMENT',
        `invalid event export: event ${event.seq} (${event.type}) breaks a rule of the store (${err.code}: ${err.message}), so the log cannot be replayed; export the events again from the source store`,
        { seq: event.seq, type: event.type, rule: err.code },
        err,
      );
    }
    try {
      await applyEvent(trx, event);
    } catch (err) {
      if (classifyDatabaseError(err) !== 'unique-violation') throw err;
      throw new StoreError(
        'INVALID_ARGUMENT',
        `invalid event export: event ${event.seq} (${event.type}) repeats a row that an earlier event created, so the log cannot be replayed; export the events again from the source store`,
        { seq: event.seq, type: event.type },
        err,
      );
    }
  }
}

function countMismatch(count: number, found: number, atLeast = false): StoreError {
  return new StoreError(
    'INVALID_ARGUMENT',
    `invalid event export: the header announces ${count} events but the file holds ${atLeast ? 'at least ' : ''}${found}; the file is truncated or was edited, so export the events again`,
    { expected: count, found },
  );
}

/**
 * Reads the event lines that follow the header and inserts them in batches. Returns the last
 * seq imported. Blank lines are skipped but counted, so messages name the line of the file.
 */
async function importLines(
  trx: Kysely<Database>,
  lines: AsyncIterator<string>,
  count: number,
  options: TransferOptions,
): Promise<number> {
  let batch: RecordedEvent[] = [];
  let seq = 0;
  let lineNumber = 1;
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    lineNumber += 1;
    if (next.value === '') continue;
    if (seq === count) throw countMismatch(count, count + 1, true);
    seq += 1;
    batch.push(parseEventLine(next.value, lineNumber, seq));
    if (batch.length === TRANSFER_BATCH) {
      await insertBatch(trx, batch);
      batch = [];
      options.onProgress?.(seq);
    }
  }
  await insertBatch(trx, batch);
  if (seq !== count) throw countMismatch(count, seq);
  await trx.updateTable('event_head').set({ last_seq: seq }).where('id', '=', 1).execute();
  options.onProgress?.(seq);
  return seq;
}

/**
 * Imports an export written by `exportEvents` into an EMPTY store. Inserts every event verbatim
 * (same seq, type, package, actor, recordedAt and payload). Applies each event to the views
 * through the view writer of the append path, so the views equal those of the source store.
 * Everything happens in one write transaction, so a failed import leaves the store empty.
 *
 * Raises STORE_NOT_EMPTY when the store has any event or view row, and INVALID_ARGUMENT naming
 * the line when the input breaks the format, skips or repeats a sequence number, or holds another
 * number of events than its header announces.
 */
export async function importEvents(
  store: StoreDatabase,
  input: Readable,
  options: TransferOptions = {},
): Promise<TransferResult> {
  await assertEmpty(store.db, store.displayUrl);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })[
    Symbol.asyncIterator
  ]();
  try {
    const first = await lines.next();
    const header = parseHeaderLine(first.done ? '' : first.value);
    const lastSeq = await writeTransaction(
      store,
      async (trx) => {
        await assertEmpty(trx, store.displayUrl);
        return importLines(trx, lines, header.count, options);
      },
      // The transaction consumes the input, so it cannot be run a second time.
      { attempts: 1 },
    );
    return { events: lastSeq, lastSeq };
  } finally {
    await lines.return?.();
  }
}
