import type { Selectable } from 'kysely';
import type { ArtifactFilesTable, ArtifactPackagesTable } from '../db/schema.js';
import type { RecordedEvent } from '../events/event-types.js';
import type { Digest } from '../identity/digest.js';
import type { EventRecord, FileRecord, Metadata, PackageRecord } from './records.js';

/** Maps an `artifact_packages` row to the record callers see. */
export function toPackageRecord(row: Selectable<ArtifactPackagesTable>): PackageRecord {
  return {
    id: row.id,
    name: row.name,
    producer: row.producer,
    subject: row.subject,
    retentionClass: row.retention_class,
    metadata: JSON.parse(row.metadata) as Metadata,
    state: row.state,
    createdAt: row.created_at,
    createdBy: row.created_by,
    finalizedAt: row.finalized_at,
    manifestDigest: row.manifest_digest as Digest | null,
    fileCount: Number(row.file_count),
    totalSize: Number(row.total_size),
  };
}

/** Maps an `artifact_files` row to the record callers see. */
export function toFileRecord(row: Selectable<ArtifactFilesTable>): FileRecord {
  return {
    packageId: row.package_id,
    path: row.path,
    digest: row.digest as Digest,
    size: Number(row.size),
    mediaType: row.media_type,
    addedAt: row.added_at,
  };
}

/** Maps a recorded event to the record callers see. */
export function toEventRecord(event: RecordedEvent): EventRecord {
  return {
    seq: event.seq,
    type: event.type,
    packageId: event.packageId,
    actor: event.actor,
    recordedAt: event.recordedAt,
    payload: event.payload as Record<string, unknown>,
  };
}
