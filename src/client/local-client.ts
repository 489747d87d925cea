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
import { validateFileAddress, validatePackageId } from './request-arguments.js';
import type { FileDownload, FileUpload, NewPackage, StoreClient } from './store-client.js';

/**
 * Runs client operations on the embedded store through a registry opened in this process. File
 * paths and package ids are checked as `HttpClient` checks them, so that both clients reject an
 * invalid one with the same code before the store is asked.
 */
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

  async uploadFile(upload: FileUpload): Promise<FileRecord> {
    validateFileAddress(upload.packageId, upload.path);
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

  async finalize(packageId: string): Promise<FinalizeResult> {
    validatePackageId(packageId);
    return this.#registry.finalize({ packageId, actor: this.#actor });
  }

  async getPackage(packageId: string): Promise<PackageRecord> {
    return this.#registry.getPackage(validatePackageId(packageId));
  }

  listPackages(query: ListPackagesQuery): Promise<Page<PackageRecord>> {
    return this.#registry.listPackages(query);
  }

  async listFiles(
    packageId: string,
    query: { cursor?: string; limit?: number },
  ): Promise<Page<FileRecord>> {
    return this.#registry.listFiles(validatePackageId(packageId), query);
  }

  async openFile(packageId: string, path: string): Promise<FileDownload> {
    validateFileAddress(packageId, path);
    const opened = await this.#registry.openFile(packageId, path);
    return { digest: opened.digest, size: opened.size, stream: opened.stream };
  }

  async openObject(digest: Digest): Promise<FileDownload> {
    const opened = await this.#registry.openObject(digest);
    return { digest: opened.digest, size: opened.size, stream: opened.stream };
  }

  async getManifest(
    packageId: string,
    format: ManifestFormat,
  ): Promise<{ digest: Digest; bytes: Buffer }> {
    return this.#registry.getManifest(validatePackageId(packageId), format);
  }

  health(): Promise<HealthStatus> {
    return this.#registry.health();
  }

  close(): Promise<void> {
    return this.#registry.close();
  }
}
