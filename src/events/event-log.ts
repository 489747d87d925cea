import type { Kysely } from 'kysely';
import { PreparedQuery } from '../db/prepared-query.js';
import type { Database, EventsTable } from '../db/schema.js';
import { canonicalJson } from './canonical-json.js';
import type { RecordedEvent, StoreEvent } from './event-types.js';
import { applyEvent } from './view-writer.js';

/**
 * Appends one event and applies it to the views, inside the caller's write transaction (see
 * `writeTransaction`). The sequence number comes from the event head row, which the transaction
 * already holds, so numbers are strictly increasing with no gaps: a rolled-back transaction
 * rolls its increment back too.
 */
export async function appendEvent(
  trx: Kysely<Database>,
  event: StoreEvent,
  context: { actor: string; recordedAt: string },
): Promise<RecordedEvent> {
  const head = await trx.executeQuery<{ last_seq: number }>(advanceHead.bind(trx, {}));
  const row = head.rows[0];
  if (row === undefined)
    throw new Error('the event_head row is missing; run `artifactstore migrate`');
  const seq = Number(row.last_seq);
  const recorded = { ...event, seq, ...context } as RecordedEvent;
  await trx.executeQuery(insertEvent.bind(trx, toRow(recorded)));
  await applyEvent(trx, recorded);
  return recorded;
}

// Prepared once per transaction (see PreparedQuery), because every write runs them.

/** Takes the next sequence number. */
const advanceHead = new PreparedQuery<Record<string, never>>((db) =>
  db
    .updateTable('event_head')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
    .where('id', '=', 1)
    .returning('last_seq'),
);

/** Inserts an event row. */
const insertEvent = new PreparedQuery<EventsTable>((db, param) =>
  db.insertInto('events').values({
    seq: param('seq'),
    type: param('type'),
    package_id: param('package_id'),
    actor: param('actor'),
    recorded_at: param('recorded_at'),
    payload: param('payload'),
  }),
);

/** Converts a recorded event to its `events` row. */
export function toRow(event: RecordedEvent): EventsTable {
  return {
    seq: event.seq,
    type: event.type,
    package_id: event.packageId,
    actor: event.actor,
    recorded_at: event.recordedAt,
    payload: canonicalJson(event.payload),
  };
}

/** Converts an `events` row back to the event it records. */
export function fromRow(row: EventsTable): RecordedEvent {
  return {
    seq: Number(row.seq),
    type: row.type,
    packageId: row.package_id,
    actor: row.actor,
    recordedAt: row.recorded_at,
    payload: JSON.parse(row.payload),
  } as RecordedEvent;
}

/** Reads up to `limit` events with a sequence number above `after`, oldest first. */
export async function readEvents(
  db: Kysely<Database>,
  after: number,
  limit: number,
): Promise<RecordedEvent[]> {
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map(fromRow);
}
