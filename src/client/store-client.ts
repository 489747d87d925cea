import type { Readable } from 'node:stream';
import type { Digest } from '../identity/digest.js';
import type {
  FileRecord,
  FinalizeResult,
  HealthStatus,
  ListPackagesQuery,
  Metadata,
  PackageRecord,
  Page,
} from '../registry/records.js';
import type { ManifestFormat } from '../registry/registry-api.js';

/** Input of `StoreClient.createPackage`; the client adds its actor. */
export interface NewPackage {
  name: string;
  producer: string;
  subject: string;
  retentionClass?: string;
  metadata?: Metadata;
}

/** One file to upload into an open package. */
export interface FileUpload {
  packageId: string;
  path: string;
  /** Byte stream of the file, read once by the client. */
  body: Readable;
  /** Exact size of `body`, checked by the store. */
  size: number;
  mediaType?: string;
  expectedDigest?: Digest;
  /** Aborting stops the upload; the store keeps nothing of it. */
  signal?: AbortSignal;
}

/** An open download of one file. */
export interface FileDownload {
  /** Content address recorded for the file; the stream is not verified against it. */
  digest: Digest;
  size: number;
  stream: Readable;
}

/**
 * Operations the CLI runs against a store, either the embedded one (`LocalClient`) or a server
 * (`HttpClient`). Both raise `StoreError`s with the same codes for the same failures.
 */
export interface StoreClient {
  /** Destination of the operations, for messages: the database URL or the server URL. */
  readonly target: string;

  /** Creates an open package. */
  createPackage(input: NewPackage): Promise<PackageRecord>;

  /**
   * Streams one file into an open package. An invalid `path` is rejected with INVALID_PATH
   * before anything is sent or stored.
   */
  uploadFile(upload: FileUpload): Promise<FileRecord>;

  /** Freezes a package and stores its manifest. */
  finalize(packageId: string): Promise<FinalizeResult>;

  /** Returns one package. */
  getPackage(packageId: string): Promise<PackageRecord>;

  /** Lists packages in creation order. */
  listPackages(query: ListPackagesQuery): Promise<Page<PackageRecord>>;

  /** Lists one page of the files of a package, in path order. */
  listFiles(
    packageId: string,
    query: { cursor?: string; limit?: number },
  ): Promise<Page<FileRecord>>;

  /**
   * Opens a file of a package for reading. An invalid `path`, such as one with a `..` segment,
   * is rejected with INVALID_PATH before the store is asked.
   */
  openFile(packageId: string, path: string, signal?: AbortSignal): Promise<FileDownload>;

  /**
   * Opens a stored object by its content address. Cheaper than `openFile` for a caller that
   * already listed the files, because the store looks up no package and no path. `size` is the
   * size recorded for the object, as a file listing returns it.
   */
  openObject(digest: Digest, size: number, signal?: AbortSignal): Promise<FileDownload>;

  /** Returns the manifest bytes of a finalized package in the given encoding. */
  getManifest(
    packageId: string,
    format: ManifestFormat,
  ): Promise<{ digest: Digest; bytes: Buffer }>;

  /** Probes the store. Returns a degraded status rather than throwing, unless the store cannot be reached. */
  health(): Promise<HealthStatus>;

  /** Releases connections and handles. */
  close(): Promise<void>;
}

/** Returns every file of a package, following the listing cursor to the last page. */
export async function listAllFiles(client: StoreClient, packageId: string): Promise<FileRecord[]> {
  const files: FileRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listFiles(packageId, { cursor, limit: 1000 });
    files.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return files;
}
