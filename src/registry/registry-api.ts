import type { Digest } from '../identity/digest.js';
import type { ByteRange } from '../storage/backend.js';
import type {
  CreatePackageInput,
  EventRecord,
  FileRecord,
  FinalizeResult,
  HealthStatus,
  IngestFileInput,
  ListPackagesQuery,
  OpenedObject,
  PackageRecord,
  Page,
} from './records.js';

/** Manifest encodings the registry can return. */
export type ManifestFormat = 'cbor' | 'json';

/**
 * The registry facade: the one entry point the HTTP service, the CLI and library users call.
 * Every method that changes state appends exactly one event. Errors are `StoreError`s.
 */
export interface RegistryApi {
  /** Creates an open package. Errors: INVALID_ARGUMENT, INVALID_METADATA, UNKNOWN_RETENTION_CLASS. */
  createPackage(input: CreatePackageInput): Promise<PackageRecord>;

  /**
   * Streams one file into an open package. The bytes are durable and verified before the file
   * is recorded. Errors: PACKAGE_NOT_FOUND, PACKAGE_FINALIZED, INVALID_PATH, DUPLICATE_PATH,
   * PATH_CONFLICT, DIGEST_MISMATCH, SIZE_MISMATCH, PAYLOAD_TOO_LARGE, UPLOAD_ABORTED.
   */
  ingestFile(input: IngestFileInput): Promise<FileRecord>;

  /** Freezes a package and stores its manifest. Errors: PACKAGE_NOT_FOUND, PACKAGE_FINALIZED. */
  finalize(input: { packageId: string; actor: string }): Promise<FinalizeResult>;

  /** Returns the manifest bytes, verified against the manifest address. */
  getManifest(
    packageId: string,
    format: ManifestFormat,
  ): Promise<{ digest: Digest; bytes: Buffer }>;

  /** Returns one package. Errors: PACKAGE_NOT_FOUND. */
  getPackage(packageId: string): Promise<PackageRecord>;

  /** Lists packages in creation order with optional filters. */
  listPackages(query?: ListPackagesQuery): Promise<Page<PackageRecord>>;

  /** Lists the files of a package in path order. */
  listFiles(
    packageId: string,
    query?: { cursor?: string; limit?: number },
  ): Promise<Page<FileRecord>>;

  /** Returns one file record. Errors: PACKAGE_NOT_FOUND, FILE_NOT_FOUND. */
  getFile(packageId: string, path: string): Promise<FileRecord>;

  /**
   * Opens a file of a package for reading. Errors: PACKAGE_NOT_FOUND, FILE_NOT_FOUND,
   * RANGE_NOT_SATISFIABLE.
   */
  openFile(packageId: string, path: string, range?: ByteRange): Promise<OpenedObject>;

  /** Returns the size of a recorded object. Errors: OBJECT_NOT_FOUND. */
  statObject(digest: Digest): Promise<{ digest: Digest; size: number }>;

  /** Opens a recorded object by digest. Errors: OBJECT_NOT_FOUND, RANGE_NOT_SATISFIABLE. */
  openObject(digest: Digest, range?: ByteRange): Promise<OpenedObject>;

  /**
   * Returns a short-lived URL that serves a recorded object directly from storage, signed by the
   * first configured backend that stores it and can presign. Returns null when none can.
   */
  presignDownload(digest: Digest): Promise<string | null>;

  /** Lists events with a sequence number greater than `after`, oldest first. */
  listEvents(query?: { after?: number; limit?: number }): Promise<EventRecord[]>;

  /** Rebuilds every view from the event log. Returns the highest sequence number applied. */
  replay(): Promise<{ lastSeq: number; events: number }>;

  /** Probes the database and the storage backend. Never throws. */
  health(): Promise<HealthStatus>;

  /** Closes the database and the storage backend. */
  close(): Promise<void>;
}
