import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type ErrorCode, isStoreError } from '../../src/errors/store-error.js';
import { digestOf } from '../../src/identity/hasher.js';
import { decodeManifest } from '../../src/manifest/cbor-codec.js';
import type { Registry } from '../../src/registry/registry.js';
import { TEST_DATABASES, type TestStore, createTestStore } from '../support/test-store.js';

const actor = 'racer';

/** Registries opened on one store, each with its own connection or pool, like separate processes. */
const REGISTRY_COUNT = 3;

function body(bytes: string | Buffer): Readable {
  return Readable.from([Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes)]);
}

/**
 * Asserts that every rejected outcome is a StoreError with one of `allowed` codes. A transient
 * database error (SQLITE_BUSY, 40001, 40P01) or an exhausted retry budget fails the test.
 */
function assertRejections(results: PromiseSettledResult<unknown>[], allowed: ErrorCode[]): void {
  for (const result of results) {
    if (result.status === 'fulfilled') continue;
    const reason: unknown = result.reason;
    assert.ok(isStoreError(reason), `expected a StoreError, got ${String(reason)}`);
    assert.ok(allowed.includes(reason.code), `unexpected ${reason.code}: ${reason.message}`);
  }
}

function fulfilled<T>(results: PromiseSettledResult<T>[]): T[] {
  return results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
}

for (const database of TEST_DATABASES) {
  describe(`concurrent registries on ${database.kind}`, { skip: database.skip }, () => {
    let store: TestStore;
    let registries: Registry[] = [];

    before(async () => {
      store = await createTestStore(database.kind);
      for (let i = 0; i < REGISTRY_COUNT; i++) registries.push(await store.open());
    });

    after(async () => {
      await Promise.all(registries.map((registry) => registry.close()));
      registries = [];
      await store?.cleanup();
    });

    /** Picks the registry for the n-th concurrent operation. */
    function via(n: number): Registry {
      return registries[n % registries.length]!;
    }

    async function newPackage(name: string) {
      return via(0).createPackage({ name, producer: 'race', subject: 'app@1', actor });
    }

    async function eventRows() {
      return via(0)
        .database.db.selectFrom('events')
        .select(['seq', 'type', 'package_id', 'payload'])
        .orderBy('seq')
        .execute();
    }

    it('numbers 240 concurrent writes gaplessly', async () => {
      const targets = await Promise.all([newPackage('target-a'), newPackage('target-b')]);
      const seqBefore = (await eventRows()).length;

      const writes: Array<Promise<unknown>> = [];
      for (let n = 0; n < 240; n++) {
        if (n % 3 === 0) {
          writes.push(
            via(n).createPackage({ name: `p${n}`, producer: 'race', subject: 's', actor }),
          );
        } else {
          const packageId = targets[n % 2]!.id;
          writes.push(
            via(n).ingestFile({ packageId, path: `f/${n}`, body: body(`content ${n}`), actor }),
          );
        }
      }
      const results = await Promise.allSettled(writes);
      assertRejections(results, []);

      const rows = await eventRows();
      const seqs = rows.map((row) => Number(row.seq));
      assert.deepEqual(
        seqs,
        seqs.map((_seq, index) => index + 1),
        'event sequence numbers are 1..n without gaps',
      );
      assert.equal(rows.length, seqBefore + 240);
      const head = await via(1)
        .database.db.selectFrom('event_head')
        .select('last_seq')
        .executeTakeFirstOrThrow();
      assert.equal(Number(head.last_seq), rows.length);

      const added = rows.filter((row) => row.type === 'file.added');
      const keys = added.map((row) => `${row.package_id} ${JSON.parse(row.payload).path}`);
      assert.equal(new Set(keys).size, keys.length, 'no file is recorded twice');
      assert.equal(added.length, 160);
    });

    it('lets one of nine uploads of a path win', async () => {
      const pkg = await newPackage('same-path');
      const contents = Array.from({ length: 9 }, (_v, n) => `variant ${n} ${randomBytes(8)}`);
      const results = await Promise.allSettled(
        contents.map((text, n) =>
          via(n).ingestFile({ packageId: pkg.id, path: 'bin/tool', body: body(text), actor }),
        ),
      );
      assertRejections(results, ['DUPLICATE_PATH']);
      const winners = fulfilled(results);
      assert.equal(winners.length, 1);

      const stored = await via(2).getFile(pkg.id, 'bin/tool');
      assert.equal(stored.digest, winners[0]!.digest);
      const added = (await eventRows()).filter(
        (row) => row.type === 'file.added' && row.package_id === pkg.id,
      );
      assert.equal(added.length, 1);
    });

    it('stores equal bytes in many packages once', async () => {
      const bytes = randomBytes(256 * 1024);
      const digest = digestOf(bytes);
      const packages = await Promise.all(
        Array.from({ length: 6 }, (_v, n) => newPackage(`dedup-${n}`)),
      );
      const results = await Promise.allSettled(
        packages.map((pkg, n) =>
          via(n).ingestFile({ packageId: pkg.id, path: `copy-${n}`, body: body(bytes), actor }),
        ),
      );
      assertRejections(results, []);
      assert.ok(fulfilled(results).every((file) => file.digest === digest));

      const objects = await via(0).backend.list({ limit: 1000 });
      assert.equal(objects.items.filter((item) => item.digest === digest).length, 1);
      const locations = await via(1)
        .database.db.selectFrom('storage_locations')
        .selectAll()
        .where('digest', '=', digest)
        .execute();
      assert.equal(locations.length, 1);
    });

    it('lets one of three finalizes win', async () => {
      const pkg = await newPackage('finalize-twice');
      await via(0).ingestFile({ packageId: pkg.id, path: 'a', body: body('a'), actor });
      const results = await Promise.allSettled(
        [0, 1, 2].map((n) => via(n).finalize({ packageId: pkg.id, actor })),
      );
      assertRejections(results, ['PACKAGE_FINALIZED']);
      assert.equal(fulfilled(results).length, 1);
      const finalized = (await eventRows()).filter(
        (row) => row.type === 'package.finalized' && row.package_id === pkg.id,
      );
      assert.equal(finalized.length, 1);
    });

    /** Outcomes of the finalize races, to check afterwards that both outcomes occurred. */
    const raceOutcomes = { acknowledged: 0, rejected: 0 };

    for (const acknowledgedFirst of [1, 8, 16]) {
      it(`finalize racing uploads after ${acknowledgedFirst} acknowledged`, async () => {
        const pkg = await newPackage(`finalize-race-${acknowledgedFirst}`);
        await via(0).ingestFile({ packageId: pkg.id, path: 'early', body: body('e'), actor });

        let acknowledged = 0;
        let reached: () => void = () => {};
        const threshold = new Promise<void>((resolve) => {
          reached = resolve;
        });
        // Every third body arrives only once finalize has started, so that some uploads are
        // still in flight when it commits; the others race it freely.
        let openGate: () => void = () => {};
        const gate = new Promise<void>((resolve) => {
          openGate = resolve;
        });
        const gatedBody = (bytes: Buffer) =>
          Readable.from(
            (async function* () {
              await gate;
              yield bytes;
            })(),
          );
        const attempts = Array.from({ length: 30 }, (_v, n) => {
          const bytes = randomBytes(1 + ((n * 7919) % 30) * 4099);
          return via(n)
            .ingestFile({
              packageId: pkg.id,
              path: `late/${n}`,
              body: n % 3 === 0 ? gatedBody(bytes) : body(bytes),
              actor,
            })
            .then((file) => {
              acknowledged += 1;
              if (acknowledged === acknowledgedFirst) reached();
              return file;
            });
        });
        const uploads = Promise.allSettled(attempts);
        const ungated = Promise.allSettled(attempts.filter((_attempt, n) => n % 3 !== 0));
        await Promise.race([threshold, ungated]);
        const finalizing = via(1).finalize({ packageId: pkg.id, actor });
        openGate();
        const finalized = await finalizing;
        const results = await uploads;
        assertRejections(results, ['PACKAGE_FINALIZED']);
        assert.ok(fulfilled(results).length >= acknowledgedFirst);

        const manifest = decodeManifest((await via(2).getManifest(pkg.id, 'cbor')).bytes);
        const inManifest = new Map(manifest.files.map((file) => [file.path, file.digest]));
        const rows = await via(0)
          .database.db.selectFrom('artifact_files')
          .select(['path', 'digest'])
          .where('package_id', '=', pkg.id)
          .execute();
        assert.equal(rows.length, manifest.files.length);
        for (const row of rows) {
          assert.equal(inManifest.get(row.path), row.digest, `file row ${row.path} in manifest`);
        }

        results.forEach((result, n) => {
          const path = `late/${n}`;
          if (result.status === 'fulfilled') {
            assert.ok(inManifest.has(path), `acknowledged upload ${path} is in the manifest`);
            raceOutcomes.acknowledged += 1;
          } else {
            assert.ok(!inManifest.has(path), `rejected upload ${path} is not in the manifest`);
            raceOutcomes.rejected += 1;
          }
        });
        assert.equal(finalized.package.fileCount, manifest.files.length);
      });
    }

    it('finalize races had both outcomes', () => {
      assert.ok(raceOutcomes.acknowledged > 0, 'some upload finished before finalize');
      assert.ok(raceOutcomes.rejected > 0, 'some upload was rejected by finalize');
    });
  });
}

/**
 * Holds SQLite's write lock from a child process for `holdMs`, like another store process in the
 * middle of a long write. Resolves once the lock is taken; `exited` settles when the child exits.
 */
async function holdSqliteWriteLock(
  path: string,
  holdMs: number,
): Promise<{ exited: Promise<number | null>; release: () => void }> {
  const script = `
    const db = new (require('better-sqlite3'))(process.argv[1]);
    db.exec('begin immediate');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('commit'); db.close(); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ['-e', script, path, String(holdMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const [chunk] = await once(child.stdout, 'data');
  assert.equal(String(chunk).trim(), 'locked');
  return { exited, release: () => child.kill() };
}

/** Holds PostgreSQL's store-wide write lock (the event head row) for `holdMs`. */
async function holdPostgresWriteLock(
  url: string,
  holdMs: number,
): Promise<{ released: Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('begin');
  await client.query('select last_seq from event_head where id = 1 for update');
  const released = (async () => {
    await sleep(holdMs);
    await client.query('commit');
    await client.end();
  })();
  return { released };
}

describe('write lock held by another process on sqlite', () => {
  let store: TestStore;
  let registry: Registry;

  before(async () => {
    store = await createTestStore('sqlite', { ARTIFACTSTORE_SQLITE_BUSY_TIMEOUT_MS: '20' });
    registry = await store.open();
  });

  after(async () => {
    await registry?.close();
    await store?.cleanup();
  });

  it('retries SQLITE_BUSY until the lock is free', async () => {
    const databasePath = store.config.databaseUrl.slice('sqlite:'.length);
    const { exited } = await holdSqliteWriteLock(databasePath, 250);
    const started = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_v, n) =>
        registry.createPackage({ name: `busy-${n}`, producer: 'race', subject: 's', actor }),
      ),
    );
    const elapsed = Date.now() - started;
    assert.equal(await exited, 0);
    assertRejections(results, []);
    assert.ok(elapsed >= 200, `writes waited for the lock (${elapsed} ms)`);
  });

  it('ends a long wait with CONFLICT_RETRIES_EXHAUSTED', async () => {
    const databasePath = store.config.databaseUrl.slice('sqlite:'.length);
    const { exited, release } = await holdSqliteWriteLock(databasePath, 30_000);
    const started = Date.now();
    try {
      const results = await Promise.allSettled([
        registry.createPackage({ name: 'starved', producer: 'race', subject: 's', actor }),
      ]);
      assertRejections(results, ['CONFLICT_RETRIES_EXHAUSTED']);
      assert.equal(results[0]?.status, 'rejected');
      assert.ok(Date.now() - started < 10_000, 'the retry budget is bounded');
    } finally {
      release();
      await exited;
    }
  });
});

describe('write lock held by another session on postgres', {
  skip: TEST_DATABASES.find((database) => database.kind === 'postgres')?.skip ?? false,
}, () => {
  let store: TestStore;
  let registries: Registry[] = [];

  before(async () => {
    store = await createTestStore('postgres', { ARTIFACTSTORE_DB_STATEMENT_TIMEOUT_MS: '500' });
    for (let i = 0; i < REGISTRY_COUNT; i++) registries.push(await store.open());
  });

  after(async () => {
    await Promise.all(registries.map((registry) => registry.close()));
    registries = [];
    await store?.cleanup();
  });

  it('queues writers behind the lock', async () => {
    const { released } = await holdPostgresWriteLock(store.config.databaseUrl, 200);
    const started = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_v, n) =>
        registries[n % REGISTRY_COUNT]!.createPackage({
          name: `queued-${n}`,
          producer: 'race',
          subject: 's',
          actor,
        }),
      ),
    );
    const elapsed = Date.now() - started;
    await released;
    assertRejections(results, []);
    assert.ok(elapsed >= 150, `writes waited for the lock (${elapsed} ms)`);
  });

  it('fails a write past the statement timeout with 503', async () => {
    const { released } = await holdPostgresWriteLock(store.config.databaseUrl, 1_500);
    const started = Date.now();
    try {
      const results = await Promise.allSettled([
        registries[0]!.createPackage({ name: 'late', producer: 'race', subject: 's', actor }),
      ]);
      assertRejections(results, ['DATABASE_UNAVAILABLE']);
      assert.equal(results[0]?.status, 'rejected');
      const elapsed = Date.now() - started;
      assert.ok(
        elapsed >= 400 && elapsed < 1_400,
        `the statement timeout ended the wait (${elapsed} ms)`,
      );
    } finally {
      await released;
    }
  });
});
