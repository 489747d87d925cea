import type { CompiledQuery, Kysely } from 'kysely';
import { PreparedQuery, withConnection } from '../db/prepared-query.js';
import type {
  ArtifactFilesTable,
  ArtifactPackagesTable,
  Database,
  RetentionStateTable,
  StorageLocationsTable,
} from '../db/schema.js';
import { canonicalJson } from './canonical-json.js';
import type { FileAdded, PackageCreated, PackageFinalized, RecordedEvent } from './event-types.js';

type Recorded<E> = E & { seq: number; actor: string; recordedAt: string };

/**
 * Applies one event to the materialised views. This module is the only code that writes view
 * tables: the append path calls `applyEvent` in the event's own transaction, and `replay` passes
 * every stored event to `applyEvents`, which runs the same statements. So both produce identical
 * rows. It reads nothing but the event and the views.
 */
export async function applyEvent(trx: Kysely<Database>, event: RecordedEvent): Promise<void> {
  await applyEvents(trx, [event]);
}

/**
 * Applies `events` in order, as `applyEvent` does for each. It takes the connection of `trx` once
 * for the whole list, which saves time when replay applies thousands of events.
 */
export async function applyEvents(
  trx: Kysely<Database>,
  events: readonly RecordedEvent[],
): Promise<void> {
  await withConnection(trx, async (connection) => {
    for (const event of events) {
      for (const statement of viewStatements(trx, event)) {
        await connection.executeQuery(statement);
      }
    }
  });
}

/** Returns the statements that apply `event`, compiled for `db`, in the order they must run. */
function viewStatements(db: Kysely<Database>, event: RecordedEvent): CompiledQuery[] {
  switch (event.type) {
    case 'package.created':
      return packageCreated(db, event);
    case 'file.added':
      return fileAdded(db, event);
    case 'package.finalized':
      return packageFinalized(db, event);
    case 'object.located':
      return [locationOf(db, event, event.payload)];
  }
}

function packageCreated(db: Kysely<Database>, event: Recorded<PackageCreated>) {
  const { payload } = event;
  return [
    insertPackage.bind(db, {
      id: event.packageId,
      name: payload.name,
      producer: payload.producer,
      subject: payload.subject,
      retention_class: payload.retentionClass,
      metadata: canonicalJson(payload.metadata),
      state: 'open',
      created_at: event.recordedAt,
      created_by: event.actor,
      finalized_at: null,
      finalized_by: null,
      manifest_digest: null,
      file_count: 0,
      total_size: 0,
      last_seq: event.seq,
    }),
    insertRetention.bind(db, {
      package_id: event.packageId,
      retention_class: payload.retentionClass,
      retain_until: null,
      legal_hold: 0,
      updated_seq: event.seq,
    }),
  ];
}

function locationOf(
  db: Kysely<Database>,
  event: RecordedEvent,
  location: { digest: string; backend: string; size: number },
) {
  return insertLocation.bind(db, {
    digest: location.digest,
    backend: location.backend,
    size: location.size,
    recorded_at: event.recordedAt,
    seq: event.seq,
  });
}

function fileAdded(db: Kysely<Database>, event: Recorded<FileAdded>) {
  const { payload } = event;
  return [
    insertFile.bind(db, {
      package_id: event.packageId,
      path: payload.path,
      digest: payload.digest,
      size: payload.size,
      media_type: payload.mediaType,
      added_at: event.recordedAt,
      added_by: event.actor,
      seq: event.seq,
    }),
    addFileToPackage.bind(db, { id: event.packageId, size: payload.size, seq: event.seq }),
    locationOf(db, event, payload),
  ];
}

function packageFinalized(db: Kysely<Database>, event: Recorded<PackageFinalized>) {
  const { payload } = event;
  return [
    finalizePackage.bind(db, {
      id: event.packageId,
      finalized_at: event.recordedAt,
      finalized_by: event.actor,
      manifest_digest: payload.manifestDigest,
      last_seq: event.seq,
    }),
    updateRetention.bind(db, {
      package_id: event.packageId,
      retain_until: payload.retainUntil,
      updated_seq: event.seq,
    }),
    locationOf(db, event, {
      digest: payload.manifestDigest,
      backend: payload.backend,
      size: payload.manifestSize,
    }),
  ];
}

// The statements that write the view tables. Each is compiled once per transaction (see
// PreparedQuery), and its parameters are named after the columns it fills.

/** Inserts a package row. */
const insertPackage = new PreparedQuery<ArtifactPackagesTable>((db, param) =>
  db.insertInto('artifact_packages').values({
    id: param('id'),
    name: param('name'),
    producer: param('producer'),
    subject: param('subject'),
    retention_class: param('retention_class'),
    metadata: param('metadata'),
    state: param('state'),
    created_at: param('created_at'),
    created_by: param('created_by'),
    finalized_at: param('finalized_at'),
    finalized_by: param('finalized_by'),
    manifest_digest: param('manifest_digest'),
    file_count: param('file_count'),
    total_size: param('total_size'),
    last_seq: param('last_seq'),
  }),
);

/** Inserts the retention row of a package. */
const insertRetention = new PreparedQuery<RetentionStateTable>((db, param) =>
  db.insertInto('retention_state').values({
    package_id: param('package_id'),
    retention_class: param('retention_class'),
    retain_until: param('retain_until'),
    legal_hold: param('legal_hold'),
    updated_seq: param('updated_seq'),
  }),
);

/** Inserts a file row. */
const insertFile = new PreparedQuery<ArtifactFilesTable>((db, param) =>
  db.insertInto('artifact_files').values({
    package_id: param('package_id'),
    path: param('path'),
    digest: param('digest'),
    size: param('size'),
    media_type: param('media_type'),
    added_at: param('added_at'),
    added_by: param('added_by'),
    seq: param('seq'),
  }),
);

/** Counts one more file of `size` bytes in package `id`. */
const addFileToPackage = new PreparedQuery<{ id: string; size: number; seq: number }>((db, param) =>
  db
    .updateTable('artifact_packages')
    .set((eb) => ({
      file_count: eb('file_count', '+', 1),
      total_size: eb('total_size', '+', param('size')),
      last_seq: param('seq'),
    }))
    .where('id', '=', param('id')),
);

type FinalizedPackage = Pick<
  ArtifactPackagesTable,
  'id' | 'finalized_at' | 'finalized_by' | 'manifest_digest' | 'last_seq'
>;

/** Marks package `id` finalized. */
const finalizePackage = new PreparedQuery<FinalizedPackage>((db, param) =>
  db
    .updateTable('artifact_packages')
    .set({
      state: 'finalized',
      finalized_at: param('finalized_at'),
      finalized_by: param('finalized_by'),
      manifest_digest: param('manifest_digest'),
      last_seq: param('last_seq'),
    })
    .where('id', '=', param('id')),
);

type RetentionUpdate = Pick<RetentionStateTable, 'package_id' | 'retain_until' | 'updated_seq'>;

/** Sets how long a package is kept. */
const updateRetention = new PreparedQuery<RetentionUpdate>((db, param) =>
  db
    .updateTable('retention_state')
    .set({ retain_until: param('retain_until'), updated_seq: param('updated_seq') })
    .where('package_id', '=', param('package_id')),
);

/** Records a location unless the object is already known in that backend. */
const insertLocation = new PreparedQuery<StorageLocationsTable>((db, param) =>
  db
    .insertInto('storage_locations')
    .values({
      digest: param('digest'),
      backend: param('backend'),
      size: param('size'),
      recorded_at: param('recorded_at'),
      seq: param('seq'),
    })
    .onConflict((conflict) => conflict.columns(['digest', 'backend']).doNothing()),
);
