import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type StoreDatabase } from '../../src/db/connection.js';
import { classifyDatabaseError } from '../../src/db/dialect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { PreparedQuery, withConnection } from '../../src/db/prepared-query.js';
import type { StorageLocationsTable } from '../../src/db/schema.js';
import { writeTransaction } from '../../src/db/write-transaction.js';
import { TEST_DATABASES, type TestStore, createTestStore } from '../support/test-store.js';

/** Counts how often the template is built, to show that it is compiled once per instance. */
function countingInsert() {
  let builds = 0;
  const query = new PreparedQuery<Omit<StorageLocationsTable, 'recorded_at'>>((db, param) => {
    builds += 1;
    return db.insertInto('storage_locations').values({
      digest: param('digest'),
      backend: param('backend'),
      size: param('size'),
      recorded_at: '2025-01-01T00:00:00.000Z',
      seq: param('seq'),
    });
  });
  return { query, builds: () => builds };
}

for (const database of TEST_DATABASES) {
  describe(`prepared query on ${database.kind}`, { skip: database.skip }, () => {
    let store: TestStore;
    let db: StoreDatabase;

    before(async () => {
      store = await createTestStore(database.kind);
      db = openDatabase(store.config);
      await migrateToLatest(db);
    });

    after(async () => {
      await db?.close();
      await store?.cleanup();
    });

    it('binds parameters by name in column order', () => {
      const { query } = countingInsert();
      const bound = query.bind(db.db, { seq: 7, size: 42, backend: 'local', digest: 'blake3:aa' });
      assert.deepEqual(bound.parameters, ['blake3:aa', 'local', 42, '2025-01-01T00:00:00.000Z', 7]);
      assert.match(bound.sql, /^insert into "storage_locations"/);
    });

    it('compiles once per Kysely instance', () => {
      const { query, builds } = countingInsert();
      const first = query.bind(db.db, { digest: 'blake3:01', backend: 'local', size: 1, seq: 1 });
      const second = query.bind(db.db, { digest: 'blake3:02', backend: 's3', size: 2, seq: 2 });
      assert.equal(builds(), 1);
      assert.equal(second.sql, first.sql);
      assert.deepEqual(second.parameters.slice(0, 3), ['blake3:02', 's3', 2]);
    });

    it('runs bound queries on the connection of a transaction', async () => {
      const { query } = countingInsert();
      await writeTransaction(db, (trx) =>
        withConnection(trx, async (connection) => {
          for (const seq of [1, 2]) {
            const values = { digest: `blake3:0${seq}`, backend: 'local', size: seq * 10, seq };
            await connection.executeQuery(query.bind(trx, values));
          }
        }),
      );
      const rows = await db.db
        .selectFrom('storage_locations')
        .select(['digest', 'backend', 'size', 'recorded_at', 'seq'])
        .orderBy('digest')
        .execute();
      assert.deepEqual(rows, [
        {
          digest: 'blake3:01',
          backend: 'local',
          size: 10,
          recorded_at: '2025-01-01T00:00:00.000Z',
          seq: 1,
        },
        {
          digest: 'blake3:02',
          backend: 'local',
          size: 20,
          recorded_at: '2025-01-01T00:00:00.000Z',
          seq: 2,
        },
      ]);
    });

    it('rolls back with the transaction when a statement fails', async () => {
      const { query } = countingInsert();
      const values = { digest: 'blake3:ff', backend: 'local', size: 1, seq: 9 };
      // blake3:01 in local was stored by the test before, so this insert breaks the primary key.
      const duplicate = { ...values, digest: 'blake3:01' };
      await assert.rejects(
        writeTransaction(db, (trx) =>
          withConnection(trx, async (connection) => {
            await connection.executeQuery(query.bind(trx, values));
            await connection.executeQuery(query.bind(trx, duplicate));
          }),
        ),
        (err) => {
          assert.equal(classifyDatabaseError(err), 'unique-violation');
          return true;
        },
      );
      const found = await db.db
        .selectFrom('storage_locations')
        .select('digest')
        .where('digest', '=', 'blake3:ff')
        .execute();
      assert.deepEqual(found, []);
    });
  });
}
