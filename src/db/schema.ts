/**
 * Table types of the metadata database, shared by SQLite and PostgreSQL. Timestamps are RFC 3339
 * UTC text so that both databases store and return the same bytes. Sizes and sequence numbers
 * are integers below 2^53, read back as JS numbers on both databases.
 */
export interface Database {
  events: EventsTable;
  event_head: EventHeadTable;
  retention_classes: RetentionClassesTable;
  artifact_packages: ArtifactPackagesTable;
  artifact_files: ArtifactFilesTable;
  storage_locations: StorageLocationsTable;
  retention_state: RetentionStateTable;
}

/** The event log: append-only, the source of truth. */
export interface EventsTable {
  seq: number;
  type: string;
  package_id: string | null;
  actor: string;
  recorded_at: string;
  /** Canonical JSON (sorted keys) of the event payload. */
  payload: string;
}

/** Single row (id 1) holding the last sequence number handed out; its row lock orders writers. */
export interface EventHeadTable {
  id: number;
  last_seq: number;
}

/** Reference data: how long packages of each class are kept after finalizing. */
export interface RetentionClassesTable {
  name: string;
  description: string;
  /** Days after finalizing before deletion is allowed; null keeps the package indefinitely. */
  retain_days: number | null;
}

/** View: one row per package. */
export interface ArtifactPackagesTable {
  id: string;
  name: string;
  producer: string;
  subject: string;
  retention_class: string;
  /** Canonical JSON text of the metadata object. */
  metadata: string;
  state: 'open' | 'finalized';
  created_at: string;
  created_by: string;
  finalized_at: string | null;
  finalized_by: string | null;
  manifest_digest: string | null;
  file_count: number;
  total_size: number;
  last_seq: number;
}

/** View: one row per file of a package. */
export interface ArtifactFilesTable {
  package_id: string;
  path: string;
  digest: string;
  size: number;
  media_type: string;
  added_at: string;
  added_by: string;
  seq: number;
}

/** View: each backend that stores a verified copy of an object. */
export interface StorageLocationsTable {
  digest: string;
  backend: string;
  size: number;
  recorded_at: string;
  seq: number;
}

/** View: retention of each package. */
export interface RetentionStateTable {
  package_id: string;
  retention_class: string;
  /** Null while the package is open, and for classes kept indefinitely. */
  retain_until: string | null;
  /** 1 while a legal hold is in place, else 0. */
  legal_hold: number;
  updated_seq: number;
}

/** Names of the tables that `replay` rebuilds, in the order they are cleared. */
export const VIEW_TABLES = [
  'artifact_files',
  'storage_locations',
  'retention_state',
  'artifact_packages',
] as const;
