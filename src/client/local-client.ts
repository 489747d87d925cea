import type { Digest } from '../identity/digest.js';
import type {
  FileRecord,
  FinalizeResult,
  HealthStatus,
  ListPackagesQuery,
  PackageRecord,
  Page,
} from '../registry/records.js';
import type { ManifestFormat, RegistryApi } from '../registry/registry-api.js';
import type { FileDownload, FileUpload, NewPackage, StoreClient } from './store-client.js';

/** Runs client operations on the embedded store through a registry opened in this process. */
export class LocalClient implements StoreClient {
  readonly target: string;
  readonly #registry: RegistryApi;
  readonly #actor: string;

  /**
   * Wraps an open registry. `target` names the store in messages; `actor` is recorded on every
   * change. `close()` closes the registry.
   */
  constructor(registry: RegistryApi, options: { target: string; actor: string }) {
    this.#registry = registry;
    this.target = options.target;
    this.#actor = options.actor;
  }

  createPackage(input: NewPackage): Promise<PackageRecord> {
    return this.#registry.createPackage({ ...input, actor: this.#actor });
  }

  uploadFile(upload: FileUpload): Promise<FileRecord> {
    return this.#registry.ingestFile({
      packageId: upload.packageId,
      path: upload.path,
      mediaType: upload.mediaType,
      body: upload.body,
      actor: this.#actor,
      expectedDigest: upload.expectedDigest,
      expectedSize: upload.size,
      signal: upload.signal,
    });
  }

  finalize(packageId: string): Promise<FinalizeResult> {
    return this.#registry.finalize({ packageId, actor: this.#actor });
  }

  getPackage(packageId: string): Promise<PackageRecord> {
    return this.#registry.getPackage(packageId);
  }

  listPackages(query: ListPackagesQuery): Promise<Page<PackageRecord>> {
    return this.#registry.listPackages(query);
  }

  listFiles(
    packageId: string,
    query: { cursor?: string; limit?: number },
  ): Promise<Page<FileRecord>> {
    return this.#registry.listFiles(packageId, query);
  }

  async openFile(packageId: string, path: string): Promise<FileDownload> {
    const opened = await this.#registry.openFile(packageId, path);
    return { digest: opened.digest, size: opened.size, stream: opened.stream };
  }

  async openObject(digest: Digest): Promise<FileDownload> {
    const opened = await this.#registry.openObject(digest);
    return { digest: opened.digest, size: opened.size, stream: opened.stream };
  }

  getManifest(
    packageId: string,
    format: ManifestFormat,
  ): Promise<{ digest: Digest; bytes: Buffer }> {
    return this.#registry.getManifest(packageId, format);
  }

  health(): Promise<HealthStatus> {
    return this.#registry.health();
  }

  close(): Promise<void> {
    return this.#registry.close();
  }
}
