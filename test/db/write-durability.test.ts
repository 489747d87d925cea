import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type StoreDatabase } from '../../src/db/connection.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { writeTransaction } from '../../src/db/write-transaction.js';
import { createTestStore, type TestStore } from '../support/test-store.js';

describe('SQLite write durability', () => {
  let store: TestStore;
  let db: StoreDatabase;

  before(async () => {
    store = await createTestStore('sqlite');
    db = openDatabase(store.config);
    await migrateToLatest(db);
  });

  after(async () => {
    await db?.close();
    await store?.cleanup();
  });

  it('commits without fsync in SQLite', async () => {
    const result = await sql<{ synchronous: number }>`pragma synchronous`.execute(db.db);
    assert.equal(result.rows[0]?.synchronous, 1, 'synchronous = NORMAL');
  });

  it('returns only after the WAL sync', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const original = db.syncCommitted;
    const gated: StoreDatabase = {
      ...db,
      syncCommitted: async () => {
        calls.push('sync');
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        await original();
      },
    };
    let settled = false;
    const write = writeTransaction(gated, async (trx) => {
      calls.push('write');
      await sql`update event_head set last_seq = last_seq where id = 1`.execute(trx);
    }).then(() => {
      settled = true;
    });

    for (let turn = 0; turn < 1000 && calls.length < 2 && !settled; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(calls, ['write', 'sync'], 'the WAL sync follows the commit');
    assert.equal(settled, false, 'the write is not acknowledged before the sync');
    release?.();
    await write;
    assert.equal(settled, true);
  });
});
