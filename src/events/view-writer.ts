import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { canonicalJson } from './canonical-json.js';
import type {
  FileAdded,
  ObjectLocated,
  PackageCreated,
  PackageFinalized,
  RecordedEvent,
} from './event-types.js';

type Recorded<E> = E & { seq: number; actor: string; recordedAt: string };

/**
 * Applies one event to the materialised views. This is the only code that writes view tables:
 * the append path calls it in the event's own transaction and `replay` calls it for every stored
 * event, so both produce identical rows. It reads nothing but the event and the views.
 */
export async function applyEvent(trx: Kysely<Database>, event: RecordedEvent): Promise<void> {
  switch (event.type) {
    case 'package.created':
      return applyPackageCreated(trx, event);
    case 'file.added':
      return applyFileAdded(trx, event);
    case 'package.finalized':
      return applyPackageFinalized(trx, event);
    case 'object.located':
      return applyObjectLocated(trx, event);
  }
}

async function applyPackageCreated(trx: Kysely<Database>, event: Recorded<PackageCreated>) {
  const { payload } = event;
  await trx
    .insertInto('artifact_packages')
    .values({
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
    })
    .execute();
  await trx
    .insertInto('retention_state')
    .values({
      package_id: event.packageId,
      retention_class: payload.retentionClass,
      retain_until: null,
      legal_hold: 0,
      updated_seq: event.seq,
    })
    .execute();
}

async function recordLocation(
  trx: Kysely<Database>,
  event: RecordedEvent,
  location: { digest: string; backend: string; size: number },
) {
  await trx
    .insertInto('storage_locations')
    .values({
      digest: location.digest,
      backend: location.backend,
      size: location.size,
      recorded_at: event.recordedAt,
      seq: event.seq,
    })
    .onConflict((conflict) => conflict.columns(['digest', 'backend']).doNothing())
    .execute();
}

async function applyFileAdded(trx: Kysely<Database>, event: Recorded<FileAdded>) {
  const { payload } = event;
  await trx
    .insertInto('artifact_files')
    .values({
      package_id: event.packageId,
      path: payload.path,
      digest: payload.digest,
      size: payload.size,
      media_type: payload.mediaType,
      added_at: event.recordedAt,
      added_by: event.actor,
      seq: event.seq,
    })
    .execute();
  await trx
    .updateTable('artifact_packages')
    .set((eb) => ({
      file_count: eb('file_count', '+', 1),
      total_size: eb('total_size', '+', payload.size),
      last_seq: event.seq,
    }))
    .where('id', '=', event.packageId)
    .execute();
  await recordLocation(trx, event, payload);
}

async function applyPackageFinalized(trx: Kysely<Database>, event: Recorded<PackageFinalized>) {
  const { payload } = event;
  await trx
    .updateTable('artifact_packages')
    .set({
      state: 'finalized',
      finalized_at: event.recordedAt,
      finalized_by: event.actor,
      manifest_digest: payload.manifestDigest,
      last_seq: event.seq,
    })
    .where('id', '=', event.packageId)
    .execute();
  await trx
    .updateTable('retention_state')
    .set({ retain_until: payload.retainUntil, updated_seq: event.seq })
    .where('package_id', '=', event.packageId)
    .execute();
  await recordLocation(trx, event, {
    digest: payload.manifestDigest,
    backend: payload.backend,
    size: payload.manifestSize,
  });
}

async function applyObjectLocated(trx: Kysely<Database>, event: Recorded<ObjectLocated>) {
  await recordLocation(trx, event, event.payload);
}
