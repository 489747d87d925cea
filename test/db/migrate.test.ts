import assert from 'node:assert/strict';
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type StoreDatabase } from '../../src/db/connection.js';
import { type MigrationReport, migrateToLatest } from '../../src/db/migrate.js';
import { isStoreError } from '../../src/errors/store-error.js';
import { dumpTables } from '../support/dump-views.js';
import { TEST_DATABASES, type TestStore, createTestStore } from '../support/test-store.js';

const MIGRATE_URL = new URL('../../src/db/migrate.ts', import.meta.url).href;
const CONFIG_URL = new URL('../../src/config/config.ts', import.meta.url).href;

/**
 * Child process body: loads the modules, reports `ready`, waits for a line on stdin so that both
 * children start migrating at the same moment, then prints the migration reports as JSON.
 */
const CHILD_SCRIPT = `
  const { migrateDatabase } = await import(${JSON.stringify(MIGRATE_URL)});
  const { loadConfig } = await import(${JSON.stringify(CONFIG_URL)});
  const config = loadConfig(process.env);
  process.stdout.write('ready\\n');
  process.stdin.once('data', async () => {
    const reports = await migrateDatabase(config);
    process.stdout.write(JSON.stringify(reports) + '\\n');
    process.exit(0);
  });
`;

/** A migrating child process and everything it has printed so far. */
interface Migrator {
  child: ChildProcessByStdio<Writable, Readable, null>;
  ready: Promise<void>;
  /** The stdout lines, once the child exited with status 0 within the time limit. */
  finished: Promise<string[]>;
}

function spawnMigrator(env: Record<string, string>, timeoutMs: number): Migrator {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', CHILD_SCRIPT],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let output = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.startsWith('ready\n')) markReady();
  });
  const timer = setTimeout(() => child.kill(), timeoutMs);
  const finished = once(child, 'exit').then(([code]) => {
    clearTimeout(timer);
    assert.equal(code, 0, `migrating child exited with ${code}; output: ${output}`);
    return output.trim().split('\n');
  });
  return { child, ready: Promise.race([ready, finished.then(() => {})]), finished };
}

async function appliedMigrations(store: StoreDatabase): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(store.db);
  return rows.map((row) => row.name);
}

for (const database of TEST_DATABASES) {
  describe(`migrations on ${database.kind}`, { skip: database.skip }, () => {
    let store: TestStore;
    let db: StoreDatabase;

    before(async () => {
      store = await createTestStore(database.kind);
      db = openDatabase(store.config);
    });

    after(async () => {
      await db?.close();
      await store?.cleanup();
    });

    it('applies the schema once from two processes', async () => {
      const migrators = [spawnMigrator(store.env, 60_000), spawnMigrator(store.env, 60_000)];
      await Promise.all(migrators.map((migrator) => migrator.ready));
      for (const migrator of migrators) migrator.child.stdin.end('go\n');

      const outputs = await Promise.all(migrators.map((migrator) => migrator.finished));
      const reports = outputs.map((lines) => JSON.parse(lines.at(-1) ?? '[]') as MigrationReport[]);
      const applied = reports.flat().filter((report) => report.status === 'Success');
      assert.deepEqual(
        applied.map((report) => report.migrationName),
        ['0001-initial'],
      );
      assert.ok(
        reports.some((report) => report.length === 0),
        'the later run had nothing to do',
      );

      assert.deepEqual(await appliedMigrations(db), ['0001-initial']);
      const heads = await db.db.selectFrom('event_head').selectAll().execute();
      assert.deepEqual(
        heads.map((head) => [head.id, Number(head.last_seq)]),
        [[1, 0]],
      );
      const classes = await db.db.selectFrom('retention_classes').select('name').execute();
      assert.equal(classes.length, 5);
    });

    it('does nothing on an up-to-date database', async () => {
      const before = await dumpTables(db.db, true);
      const migrations = await appliedMigrations(db);
      assert.deepEqual(await migrateToLatest(db), []);
      assert.equal(await dumpTables(db.db, true), before);
      assert.deepEqual(await appliedMigrations(db), migrations);
    });

    it('rejects an unknown applied migration', async () => {
      const unknown = '9000-from-a-newer-version';
      await sql`insert into kysely_migration (name, timestamp) values (${unknown}, ${new Date().toISOString()})`.execute(
        db.db,
      );
      try {
        await assert.rejects(migrateToLatest(db), (err: unknown) => {
          assert.ok(isStoreError(err, 'MIGRATION_FAILED'), `expected MIGRATION_FAILED, got ${err}`);
          assert.match(err.message, new RegExp(unknown));
          assert.match(err.message, /newer version/);
          assert.deepEqual(err.details.unknownMigrations, [unknown]);
          return true;
        });
      } finally {
        await sql`delete from kysely_migration where name = ${unknown}`.execute(db.db);
      }
      assert.deepEqual(await migrateToLatest(db), []);
    });
  });
}
