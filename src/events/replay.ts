import type { StoreDatabase } from '../db/connection.js';
import { VIEW_TABLES } from '../db/schema.js';
import { writeTransaction } from '../db/write-transaction.js';
import { readEvents } from './event-log.js';
import { applyEvents } from './view-writer.js';

/** Events read and applied per batch during replay. */
const REPLAY_BATCH = 1000;

/** Result of a replay. */
export interface ReplayResult {
  events: number;
  lastSeq: number;
}

/**
 * Rebuilds every view from the event log in one write transaction: clears the view tables, then
 * applies each event in sequence order through the same view writer as the append path. Writers
 * wait for the duration; readers see the old views until the commit.
 */
export async function replayEvents(
  store: StoreDatabase,
  onProgress?: (applied: number) => void,
): Promise<ReplayResult> {
  return writeTransaction(store, async (trx) => {
    for (const table of VIEW_TABLES) await trx.deleteFrom(table).execute();
    let lastSeq = 0;
    let events = 0;
    for (;;) {
      const batch = await readEvents(trx, lastSeq, REPLAY_BATCH);
      if (batch.length === 0) break;
      await applyEvents(trx, batch);
      lastSeq = batch.at(-1)!.seq;
      events += batch.length;
      onProgress?.(events);
    }
    return { events, lastSeq };
  });
}
