import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { StoreDatabase } from '../../src/db/connection.js';
import { writeTransaction } from '../../src/db/write-transaction.js';
import { isStoreError } from '../../src/errors/store-error.js';
import { canonicalJson } from '../../src/events/canonical-json.js';
import { formatEventLine, formatHeaderLine } from '../../src/events/event-lines.js';
import { appendEvent } from '../../src/events/event-log.js';
import { exportEvents, importEvents } from '../../src/events/event-transfer.js';
import { digestOf } from '../../src/identity/hasher.js';
import { newPackageId } from '../../src/identity/ids.js';
import type { Registry } from '../../src/registry/registry.js';
import { dumpTables } from '../support/dump-views.js';
import {
  TEST_DATABASES,
  type TestDatabaseKind,
  type TestStore,
  createTestStore,
} from '../support/test-store.js';

const postgresSkip = TEST_DATABASES.find((database) => database.kind === 'postgres')?.skip ?? false;

function body(bytes: string | Buffer): Readable {
  return Readable.from([Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes)]);
}

async function exportText(store: StoreDatabase): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await exportEvents(store, sink);
  return Buffer.concat(chunks).toString('utf8');
}

function importText(store: StoreDatabase, text: string) {
  return importEvents(store, Readable.from([Buffer.from(text)]));
}

/** Writes packages, files, finalizes and a copy record: every event type, with shared bytes. */
async function fillStore(registry: Registry): Promise<void> {
  const actor = 'ci';
  const shared = randomBytes(4096);
  const app = await registry.createPackage({
    name: 'app',
    producer: 'ci',
    subject: 'app@1.2.3',
    retentionClass: 'release',
    metadata: { commit: 'abc123', nested: { z: 1, a: [1, 'två', null, true] } },
    actor,
  });
  await registry.ingestFile({
    packageId: app.id,
    path: 'bin/app',
    body: body(randomBytes(999)),
    actor,
  });
  await registry.ingestFile({
    packageId: app.id,
    path: 'docs/ünïcødé.txt',
    body: body('ü'),
    actor,
  });
  await registry.ingestFile({ packageId: app.id, path: 'shared.bin', body: body(shared), actor });
  await registry.ingestFile({ packageId: app.id, path: 'empty', body: body(''), actor });
  await registry.finalize({ packageId: app.id, actor });

  const evidence = await registry.createPackage({
    name: 'evidence',
    producer: 'audit',
    subject: 'run 7',
    retentionClass: 'permanent',
    actor: 'auditor',
  });
  await registry.ingestFile({
    packageId: evidence.id,
    path: 'copy/shared.bin',
    body: body(shared),
    actor,
  });
  await registry.finalize({ packageId: evidence.id, actor: 'auditor' });

  const open = await registry.createPackage({ name: 'wip', producer: 'dev', subject: 's', actor });
  await registry.ingestFile({ packageId: open.id, path: 'notes.txt', body: body('todo'), actor });

  const recordedAt = new Date().toISOString();
  const payload = { digest: digestOf(shared), size: shared.length, backend: 'mirror' };
  await writeTransaction(registry.database, (trx) =>
    appendEvent(trx, { type: 'object.located', packageId: null, payload }, { actor, recordedAt }),
  );
}

const directions: Array<[TestDatabaseKind, TestDatabaseKind, string | false]> = [
  ['sqlite', 'sqlite', false],
  ['sqlite', 'postgres', postgresSkip],
  ['postgres', 'sqlite', postgresSkip],
];

for (const [sourceKind, targetKind, skip] of directions) {
  describe(`event transfer from ${sourceKind} to ${targetKind}`, { skip }, () => {
    let source: TestStore;
    let target: TestStore;
    let sourceRegistry: Registry;
    let targetRegistry: Registry;
    let text: string;

    before(async () => {
      source = await createTestStore(sourceKind);
      target = await createTestStore(targetKind);
      sourceRegistry = await source.open();
      targetRegistry = await target.open();
      await fillStore(sourceRegistry);
      text = await exportText(sourceRegistry.database);
    });

    after(async () => {
      await sourceRegistry?.close();
      await targetRegistry?.close();
      await source?.cleanup();
      await target?.cleanup();
    });

    it('exports a header and one canonical line per event', async () => {
      const lines = text.split('\n');
      assert.equal(lines.pop(), '', 'the export ends with a newline');
      const events = await sourceRegistry.listEvents({ limit: 1000 });
      assert.deepEqual(JSON.parse(lines[0]!), {
        format: 'artifactstore-events',
        version: 1,
        count: events.length,
      });
      assert.equal(lines.length, events.length + 1);
      for (const line of lines) assert.equal(canonicalJson(JSON.parse(line)), line);
      assert.deepEqual(
        lines.slice(1).map((line) => JSON.parse(line)),
        events,
      );
    });

    it('imports events and views verbatim', async () => {
      const result = await importText(targetRegistry.database, text);
      const sourceDump = await dumpTables(sourceRegistry.database.db, true);
      assert.equal(result.lastSeq, (await sourceRegistry.listEvents({ limit: 1000 })).length);
      assert.equal(await dumpTables(targetRegistry.database.db, true), sourceDump);

      const head = await targetRegistry.database.db
        .selectFrom('event_head')
        .select('last_seq')
        .executeTakeFirstOrThrow();
      assert.equal(Number(head.last_seq), result.lastSeq);
    });

    it('replays the imported log to the same views', async () => {
      const before = await dumpTables(targetRegistry.database.db, true);
      await targetRegistry.replay();
      assert.equal(await dumpTables(targetRegistry.database.db, true), before);
    });

    it('exports the imported log byte for byte', async () => {
      assert.equal(await exportText(targetRegistry.database), text);
    });

    it('continues the sequence after an import', async () => {
      const pkg = await targetRegistry.createPackage({
        name: 'after-import',
        producer: 'ci',
        subject: 's',
        actor: 'ci',
      });
      const events = await targetRegistry.listEvents({ limit: 1000 });
      assert.equal(events.at(-1)?.packageId, pkg.id);
      assert.deepEqual(
        events.map((event) => event.seq),
        events.map((_event, index) => index + 1),
      );
    });
  });
}

/** Re-numbers event lines from 1 and rewrites the header count to match. */
function renumber(lines: string[]): string {
  const events = lines.slice(1).map((line, index) => ({ ...JSON.parse(line), seq: index + 1 }));
  return [formatHeaderLine(events.length), ...events.map((event) => formatEventLine(event))].join(
    '',
  );
}

function edit(line: string, change: (value: Record<string, unknown>) => void): string {
  const value = JSON.parse(line) as Record<string, unknown>;
  change(value);
  return JSON.stringify(value);
}

describe('event import rejections', () => {
  let source: TestStore;
  let target: TestStore;
  let sourceRegistry: Registry;
  let targetRegistry: Registry;
  let lines: string[];
  let emptyDump: string;

  before(async () => {
    source = await createTestStore('sqlite');
    target = await createTestStore('sqlite');
    sourceRegistry = await source.open();
    targetRegistry = await target.open();
    await fillStore(sourceRegistry);
    lines = (await exportText(sourceRegistry.database)).trimEnd().split('\n');
    emptyDump = await dumpTables(targetRegistry.database.db, true);
  });

  after(async () => {
    await sourceRegistry?.close();
    await targetRegistry?.close();
    await source?.cleanup();
    await target?.cleanup();
  });

  const fileAddedIndex = () => lines.findIndex((line) => line.includes('"type":"file.added"'));
  const join = (parts: string[]) => `${parts.join('\n')}\n`;

  const cases: Array<[string, () => string, RegExp]> = [
    ['empty input', () => '', /line 1: expected the header line/],
    [
      'another format',
      () => join([edit(lines[0]!, (h) => (h.format = 'tarball')), ...lines.slice(1)]),
      /line 1: expected format "artifactstore-events", got "tarball"/,
    ],
    [
      'a newer version',
      () => join([edit(lines[0]!, (h) => (h.version = 2)), ...lines.slice(1)]),
      /format version 2 is not supported/,
    ],
    [
      'a gap in seq',
      () => join([lines[0]!, lines[1]!, ...lines.slice(3)]),
      /line 3: expected event seq 2, got 3/,
    ],
    [
      'a repeated seq',
      () => join([lines[0]!, lines[1]!, lines[1]!, ...lines.slice(2)]),
      /line 3: expected event seq 2, got 1/,
    ],
    [
      'a truncated file',
      () => join(lines.slice(0, -1)),
      /announces (\d+) events but the file holds (?!\1)\d+; the file is truncated/,
    ],
    [
      'more events than announced',
      () => join([edit(lines[0]!, (h) => (h.count = 2)), ...lines.slice(1)]),
      /announces 2 events but the file holds at least 3/,
    ],
    [
      'malformed JSON',
      () => join([lines[0]!, '{"seq":1,', ...lines.slice(2)]),
      /line 2: not valid JSON/,
    ],
    [
      'an unknown type',
      () =>
        join([lines[0]!, edit(lines[1]!, (e) => (e.type = 'package.renamed')), ...lines.slice(2)]),
      /line 2: unknown event type "package.renamed"/,
    ],
    [
      'a missing payload field',
      () => {
        const index = fileAddedIndex();
        const broken = edit(
          lines[index]!,
          (e) => delete (e.payload as Record<string, unknown>).digest,
        );
        return join([...lines.slice(0, index), broken, ...lines.slice(index + 1)]);
      },
      /payload field "digest" of type string for file\.added/,
    ],
    [
      'an extra field',
      () => join([lines[0]!, edit(lines[1]!, (e) => (e.comment = 'hi')), ...lines.slice(2)]),
      /line 2: expected the fields actor, packageId, payload, recordedAt, seq, type/,
    ],
    [
      'a file added twice',
      () => {
        const index = fileAddedIndex();
        return renumber([...lines.slice(0, index + 1), lines[index]!, ...lines.slice(index + 1)]);
      },
      /breaks a rule of the store \(DUPLICATE_PATH/,
    ],
    [
      'a file added after its package was finalized',
      () => {
        const index = fileAddedIndex();
        const finalized = lines.findIndex((line) => line.includes('"type":"package.finalized"'));
        const moved = [...lines.slice(0, index), ...lines.slice(index + 1, finalized + 1)];
        return renumber([...moved, lines[index]!, ...lines.slice(finalized + 1)]);
      },
      /breaks a rule of the store \(PACKAGE_FINALIZED/,
    ],
    [
      'an unknown retention class',
      () =>
        join([
          lines[0]!,
          edit(lines[1]!, (e) => {
            (e.payload as Record<string, unknown>).retentionClass = 'forever-ish';
          }),
          ...lines.slice(2),
        ]),
      /breaks a rule of the store \(UNKNOWN_RETENTION_CLASS/,
    ],
    [
      'a file with an invalid path',
      () => {
        const index = fileAddedIndex();
        const broken = edit(lines[index]!, (e) => {
          (e.payload as Record<string, unknown>).path = '../escape';
        });
        return join([...lines.slice(0, index), broken, ...lines.slice(index + 1)]);
      },
      /breaks a rule of the store \(INVALID_PATH/,
    ],
  ];

  for (const [name, build, message] of cases) {
    it(`rejects ${name} and stays empty`, async () => {
      await assert.rejects(importText(targetRegistry.database, build()), (err: unknown) => {
        assert.ok(isStoreError(err, 'INVALID_ARGUMENT'), `expected INVALID_ARGUMENT, got ${err}`);
        assert.match(err.message, message);
        return true;
      });
      assert.equal(await dumpTables(targetRegistry.database.db, true), emptyDump);
    });
  }

  it('rejects a store that is not empty', async () => {
    const before = await dumpTables(sourceRegistry.database.db, true);
    await assert.rejects(importText(sourceRegistry.database, join(lines)), (err: unknown) => {
      assert.ok(isStoreError(err, 'STORE_NOT_EMPTY'), `expected STORE_NOT_EMPTY, got ${err}`);
      assert.match(err.message, /is not empty \(event head at seq \d+, \d+ rows in events/);
      return true;
    });
    assert.equal(await dumpTables(sourceRegistry.database.db, true), before);
  });

  it('imports after the rejected attempts', async () => {
    const result = await importText(targetRegistry.database, join(lines));
    assert.equal(result.events, lines.length - 1);
    assert.equal(
      await dumpTables(targetRegistry.database.db, true),
      await dumpTables(sourceRegistry.database.db, true),
    );
  });
});

describe('event transfer in batches', () => {
  let store: TestStore;
  let registry: Registry;

  before(async () => {
    store = await createTestStore('sqlite');
    registry = await store.open();
  });

  after(async () => {
    await registry?.close();
    await store?.cleanup();
  });

  it('imports 1,234 events and reports progress', async () => {
    const count = 1234;
    const events = Array.from({ length: count }, (_v, index) =>
      formatEventLine({
        seq: index + 1,
        type: 'package.created',
        packageId: newPackageId(),
        actor: 'loader',
        recordedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, index)).toISOString(),
        payload: {
          name: `p${index}`,
          producer: 'bulk',
          subject: 's',
          retentionClass: 'ephemeral',
          metadata: { index },
        },
      }),
    );
    const text = formatHeaderLine(count) + events.join('');
    const progress: number[] = [];
    const result = await importEvents(registry.database, Readable.from([text]), {
      onProgress: (imported) => progress.push(imported),
    });
    assert.deepEqual(result, { events: count, lastSeq: count });
    assert.deepEqual(progress, [500, 1000, 1234]);
    assert.equal(
      (await registry.listPackages({ producer: 'bulk', limit: 1000 })).items.length,
      1000,
    );
    assert.equal(await exportText(registry.database), text);
  });
});
