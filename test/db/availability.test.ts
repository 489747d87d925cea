import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config/config.js';
import { isStoreError } from '../../src/errors/store-error.js';
import type { PackageRecord } from '../../src/registry/records.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import type { Registry } from '../../src/registry/registry.js';
import { PostgresCluster } from '../support/postgres-cluster.js';

const actor = 'ops';
const CONNECT_TIMEOUT_MS = 1_000;
/** Slack for scheduling on a busy machine, on top of the connect timeout. */
const SLACK_MS = 1_500;

function storeEnv(dir: string, databaseUrl: string): Record<string, string> {
  return {
    ARTIFACTSTORE_DATABASE_URL: databaseUrl,
    ARTIFACTSTORE_STORAGE_LOCAL_ROOT: join(dir, 'storage'),
    ARTIFACTSTORE_LOG_LEVEL: 'silent',
    ARTIFACTSTORE_DB_POOL_SIZE: '4',
    ARTIFACTSTORE_DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    ARTIFACTSTORE_DB_STATEMENT_TIMEOUT_MS: '5000',
  };
}

/** Runs `action` and asserts it fails with DATABASE_UNAVAILABLE (503) within the time bound. */
async function assertUnavailable(name: string, action: () => Promise<unknown>): Promise<void> {
  const started = Date.now();
  await assert.rejects(action(), (err: unknown) => {
    assert.ok(isStoreError(err, 'DATABASE_UNAVAILABLE'), `${name}: got ${String(err)}`);
    assert.equal(err.httpStatus, 503);
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed < CONNECT_TIMEOUT_MS + SLACK_MS, `${name} failed after ${elapsed} ms`);
}

/** Returns every registry call that needs the database, keyed by method name. */
function databaseActions(registry: Registry, known: PackageRecord) {
  return {
    getPackage: () => registry.getPackage(known.id),
    listPackages: () => registry.listPackages({ producer: 'ops' }),
    listFiles: () => registry.listFiles(known.id),
    getFile: () => registry.getFile(known.id, 'a.txt'),
    listEvents: () => registry.listEvents({ after: 0 }),
    getManifest: () => registry.getManifest(known.id, 'json'),
    createPackage: () => registry.createPackage({ name: 'n', producer: 'p', subject: 's', actor }),
    ingestFile: () =>
      registry.ingestFile({
        packageId: known.id,
        path: 'during-outage.txt',
        body: Readable.from([Buffer.from('x')]),
        actor,
      }),
    finalize: () => registry.finalize({ packageId: known.id, actor }),
  };
}

async function waitForHealthy(registry: Registry, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if ((await registry.health()).status === 'ok') return Date.now() - started;
    await sleep(100);
  }
  assert.fail(`the registry did not report ok within ${limitMs} ms`);
}

describe('postgres outage and recovery', () => {
  let cluster: PostgresCluster | string = 'not created';
  let dir: string;
  let registry: Registry;
  let known: PackageRecord;

  before(async () => {
    cluster = await PostgresCluster.create();
    if (typeof cluster === 'string') return;
    await cluster.start();
    dir = await mkdtemp(join(tmpdir(), 'artifactstore-outage-'));
    registry = await openRegistry(loadConfig(storeEnv(dir, cluster.url)));
    known = await registry.createPackage({ name: 'before', producer: 'ops', subject: 's', actor });
    await registry.ingestFile({
      packageId: known.id,
      path: 'a.txt',
      body: Readable.from([Buffer.from('a')]),
      actor,
    });
  });

  after(async () => {
    await registry?.close();
    if (typeof cluster !== 'string') await cluster.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('survives losing a checked-out connection', async (t) => {
    if (typeof cluster === 'string') return t.skip(cluster);
    const running = cluster;
    assert.equal((await registry.health()).status, 'ok');
    // The crash lands between two queries of a checked-out connection. There pg emits 'error' on
    // the client itself, and an unhandled 'error' event would end this test process.
    const heldConnection = registry.database.db.connection().execute(async (connection) => {
      await sql`select 1`.execute(connection);
      await running.stop();
      await sleep(300);
      await sql`select 1`.execute(connection);
    });
    await assert.rejects(heldConnection);
  });

  it('fails fast with 503 while the server is down', async (t) => {
    if (typeof cluster === 'string') return t.skip(cluster);

    // Twice over: the first round meets pooled connections that the crash cut, the second
    // round opens new connections that the closed port refuses.
    for (let round = 0; round < 2; round++) {
      for (const [name, action] of Object.entries(databaseActions(registry, known))) {
        await assertUnavailable(name, action);
      }
    }
  });

  it('fails twenty concurrent requests fast', async (t) => {
    if (typeof cluster === 'string') return t.skip(cluster);
    const started = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_v, n) =>
        n % 2 === 0
          ? registry.getPackage(known.id)
          : registry.createPackage({ name: `c${n}`, producer: 'p', subject: 's', actor }),
      ),
    );
    const elapsed = Date.now() - started;
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.ok(isStoreError(result.reason, 'DATABASE_UNAVAILABLE'), String(result.reason));
    }
    assert.ok(elapsed < CONNECT_TIMEOUT_MS + SLACK_MS, `all failed within ${elapsed} ms`);
  });

  it('reports degraded health while the server is down', async (t) => {
    if (typeof cluster === 'string') return t.skip(cluster);
    const started = Date.now();
    const health = await registry.health();
    assert.equal(health.status, 'degraded');
    assert.equal(health.db, 'unavailable');
    assert.equal(health.backend, 'ok');
    assert.ok(Date.now() - started < CONNECT_TIMEOUT_MS + SLACK_MS);
  });

  it('recovers by itself when the server returns', async (t) => {
    if (typeof cluster === 'string') return t.skip(cluster);
    await cluster.start();
    await waitForHealthy(registry, 10_000);

    assert.equal((await registry.getPackage(known.id)).fileCount, 1);
    const after = await registry.createPackage({
      name: 'after',
      producer: 'ops',
      subject: 's',
      actor,
    });
    assert.equal((await registry.getPackage(after.id)).name, 'after');
    const events = await registry.listEvents({ limit: 1000 });
    assert.deepEqual(
      events.map((event) => event.seq),
      events.map((_event, index) => index + 1),
      'no event was half-written during the outage',
    );
    assert.equal(events.length, 3);
  });
});

describe('unresponsive database server', () => {
  let server: Server;
  let sockets: Socket[] = [];
  let dir: string;
  let url: string;
  let registry: Registry;

  before(async () => {
    // Accepts connections and never responds, like a host that hangs.
    server = createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null);
    assert.ok(typeof address === 'object');
    dir = await mkdtemp(join(tmpdir(), 'artifactstore-silent-'));
    url = `postgresql://postgres@127.0.0.1:${address.port}/test`;
    registry = await openRegistry(loadConfig(storeEnv(dir, url)), { migrate: false });
  });

  after(async () => {
    await registry?.close();
    for (const socket of sockets) socket.destroy();
    sockets = [];
    await new Promise((resolve) => server?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives up after the connect timeout', async () => {
    const started = Date.now();
    await assertUnavailable('getPackage', () => registry.getPackage('01ARZ3NDEKTSV4RRFFQ69G5FAV'));
    assert.ok(Date.now() - started >= CONNECT_TIMEOUT_MS - 100, 'waited for the connect timeout');
    await assertUnavailable('createPackage', () =>
      registry.createPackage({ name: 'n', producer: 'p', subject: 's', actor }),
    );
  });

  it('reports degraded health after the connect timeout', async () => {
    const health = await registry.health();
    assert.equal(health.status, 'degraded');
    assert.equal(health.db, 'unavailable');
  });

  it('fails migrations with DATABASE_UNAVAILABLE', async () => {
    await assertUnavailable('openRegistry', () => openRegistry(loadConfig(storeEnv(dir, url))));
  });
});
