import type { BackendName, Config } from '../config/config.js';
import type { StorageBackend } from './backend.js';
import { createBackend } from './create-backend.js';

/**
 * The configured storage backends: one that new objects are written to, and every backend that
 * reads may use. Names match `storage_locations.backend`.
 */
export class BackendSet {
  readonly primary: StorageBackend;
  readonly #byName: ReadonlyMap<string, StorageBackend>;

  constructor(backends: readonly StorageBackend[]) {
    const [primary] = backends;
    if (primary === undefined) throw new Error('a backend set needs at least one backend');
    this.primary = primary;
    this.#byName = new Map(backends.map((backend) => [backend.name, backend]));
  }

  /** Returns the backend with this name, or undefined when it is not configured. */
  get(name: string): StorageBackend | undefined {
    return this.#byName.get(name);
  }

  /** Returns every configured backend, the primary first. */
  all(): StorageBackend[] {
    return [...this.#byName.values()];
  }

  /** Orders location names for reading: configured ones only, the primary first. */
  readOrder(locations: readonly string[]): StorageBackend[] {
    return this.all().filter((backend) => locations.includes(backend.name));
  }

  /** Initialises every backend. */
  async init(): Promise<void> {
    for (const backend of this.all()) await backend.init();
  }

  /** Closes every backend, even when one fails. */
  async close(): Promise<void> {
    await Promise.allSettled(this.all().map((backend) => backend.close()));
  }
}

/** Builds every backend that `config.storage.backends` lists. */
export async function createBackendSet(config: Config): Promise<BackendSet> {
  const build = (name: BackendName) =>
    createBackend({ ...config, storage: { ...config.storage, backend: name } });
  return new BackendSet(await Promise.all(config.storage.backends.map(build)));
}
