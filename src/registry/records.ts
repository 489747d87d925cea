import type { Readable } from 'node:stream';
import type { Digest } from '../identity/digest.js';
import type { ByteRange } from '../storage/backend.js';

/** JSON value allowed in package metadata. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Package metadata: always a JSON object at the top level. */
export type Metadata = { [key: string]: JsonValue };

/** Lifecycle state of a package. */
export type PackageState = 'open' | 'finalized';

/** A package as the registry reports it. Timestamps are RFC 3339 UTC with milliseconds. */
export interface PackageRecord {
  id: string;
  name: string;
  producer: string;
  subject: string;
  retentionClass: string;
  metadata: Metadata;
  state: PackageState;
  createdAt: string;
  createdBy: string;
  finalizedAt: string | null;
  manifestDigest: Digest | null;
  fileCount: number;
  totalSize: number;
}

/** A file of a package. */
export interface FileRecord {
  packageId: string;
  path: string;
  digest: Digest;
  size: number;
  mediaType: string;
  addedAt: string;
}

/** One entry of the event log. */
export interface EventRecord {
  seq: number;
  type: string;
  packageId: string | null;
  actor: string;
  recordedAt: string;
  payload: Record<string, unknown>;
}

/** Input of `createPackage`. */
export interface CreatePackageInput {
  name: string;
  producer: string;
  subject: string;
  /** Defaults to `standard`. */
  retentionClass?: string;
  metadata?: unknown;
  actor: string;
}

/** Input of `ingestFile`. */
export interface IngestFileInput {
  packageId: string;
  path: string;
  /** Defaults to `application/octet-stream`. */
  mediaType?: string;
  body: Readable;
  actor: string;
  expectedDigest?: Digest;
  expectedSize?: number;
  signal?: AbortSignal;
}

/** Filters and paging of `listPackages`. */
export interface ListPackagesQuery {
  producer?: string;
  subject?: string;
  name?: string;
  state?: PackageState;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
  /** 1 to 1000, default 100. */
  limit?: number;
}

/** One page of a listing. `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Result of `finalize`. */
export interface FinalizeResult {
  package: PackageRecord;
  manifestDigest: Digest;
}

/** An open download: what is being read and the byte stream. */
export interface OpenedObject {
  digest: Digest;
  size: number;
  /** Inclusive range that `stream` covers; the whole object when no range was requested. */
  range: ByteRange | null;
  stream: Readable;
}

/** Overall health of the store. */
export interface HealthStatus {
  status: 'ok' | 'degraded';
  db: 'ok' | 'unavailable';
  backend: 'ok' | 'unavailable';
  version: string;
}
