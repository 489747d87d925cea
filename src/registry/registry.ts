import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { VERSION } from '../config/version.js';
import type { Config } from '../config/config.js';
import type { StoreDatabase } from '../db/connection.js';
import type { Database } from '../db/schema.js';
import { WriteBatcher } from '../db/write-batcher.js';
import { toStoreError } from '../db/write-transaction.js';
import { readVerified } from '../dataplane/read-verified.js';
import { StoreError } from '../errors/store-error.js';
import { appendEvent, readEvents } from '../events/event-log.js';
import { replayEvents } from '../events/replay.js';
import type { Digest } from '../identity/digest.js';
import { parseDigest } from '../identity/digest.js';
import { newPackageId } from '../identity/ids.js';
import { validateRelativePath } from '../identity/relative-path.js';
import { decodeManifest } from '../manifest/cbor-codec.js';
import { renderManifestJson } from '../manifest/json-render.js';
import type { ByteRange, StorageBackend } from '../storage/backend.js';
import type { BackendSet } from '../storage/backend-set.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';
import { checkRange, validateActor, validateMediaType } from './input-checks.js';
import { ObjectLocations } from './object-locations.js';
import { storeManifest } from './manifest-writer.js';
import { type CopyReport, copyMissingObjects } from './storage-copy.js';
import { validateLabel, validateMetadata } from './metadata.js';
import {
  checkPathFree,
  loadOpenPackage,
  loadPackageRow,
  loadRetentionClass,
} from '../events/view-checks.js';
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
import type { ManifestFormat, RegistryApi } from './registry-api.js';
import { toEventRecord, toFileRecord, toPackageRecord } from './rows.js';

/** Retention class of packages created without one. */
export const DEFAULT_RETENTION_CLASS = 'standard';

const DAY_MS = 86_400_000;

/** Dependencies of a registry; `openRegistry` builds them from configuration. */
export interface RegistryDeps {
  config: Config;
  store: StoreDatabase;
  backends: BackendSet;
  logger?: Logger;
}

/** The registry facade over one database and its storage backends. See `RegistryApi`. */
export class Registry implements RegistryApi {
  readonly #config: Config;
  readonly #store: StoreDatabase;
  readonly #backends: BackendSet;
  readonly #backend: StorageBackend;
  readonly #logger: Logger | undefined;
  readonly #batcher: WriteBatcher;
  readonly #locations: ObjectLocations;
  /** Uploads whose bytes are being stored; their metadata writes will follow shortly. */
  #uploadsInProgress = 0;

  constructor(deps: RegistryDeps) {
    this.#batcher = new WriteBatcher(deps.store, () => this.#uploadsInProgress);
    this.#locations = new ObjectLocations(deps.store.db, deps.backends, deps.logger);
    this.#config = deps.config;
    this.#store = deps.store;
    this.#backends = deps.backends;
    this.#backend = deps.backends.primary;
    this.#logger = deps.logger;
  }

  /** The open metadata database (for administration commands and tests). */
  get database(): StoreDatabase {
    return this.#store;
  }

  /** The storage backend new objects are written to. */
  get backend(): StorageBackend {
    return this.#backend;
  }

  /** Every configured storage backend. */
  get backends(): BackendSet {
    return this.#backends;
  }

  async createPackage(input: CreatePackageInput): Promise<PackageRecord> {
    const actor = validateActor(input.actor);
    const payload = {
      name: validateLabel('name', input.name),
      producer: validateLabel('producer', input.producer),
      subject: validateLabel('subject', input.subject),
      retentionClass: input.retentionClass ?? DEFAULT_RETENTION_CLASS,
      metadata: validateMetadata(input.metadata ?? {}, this.#config.maxMetadataBytes),
    };
    const packageId = newPackageId();
    await this.#write(async (trx, recordedAt) => {
      await loadRetentionClass(trx, payload.retentionClass);
      await appendEvent(
        trx,
        { type: 'package.created', packageId, payload },
        { actor, recordedAt },
      );
    });
    this.#logger?.info({ packageId, actor }, 'package created');
    return this.getPackage(packageId);
  }

  async ingestFile(input: IngestFileInput): Promise<FileRecord> {
    const actor = validateActor(input.actor);
    const path = validateRelativePath(input.path);
    const mediaType = validateMediaType(input.mediaType);
    const expectedDigest = input.expectedDigest && parseDigest(input.expectedDigest);
    const { packageId } = input;

    // Early checks spare the upload of a file that would be rejected anyway. The same checks
    // run again under the write lock, where they are authoritative.
    await this.#read(async () => {
      await loadOpenPackage(this.#store.db, packageId);
      await checkPathFree(this.#store.db, packageId, path);
    });
    const stored = await this.#storeBytes(input, expectedDigest);

    const payload = {
      path,
      digest: stored.digest,
      size: stored.size,
      mediaType,
      backend: this.#backend.name,
    };
    const addedAt = await this.#write(async (trx, recordedAt) => {
      await loadOpenPackage(trx, packageId);
      await checkPathFree(trx, packageId, path);
      await appendEvent(trx, { type: 'file.added', packageId, payload }, { actor, recordedAt });
      return recordedAt;
    });
    this.#logger?.debug(
      { packageId, path, digest: stored.digest, size: stored.size },
      'file added',
    );
    const { digest, size } = stored;
    return { packageId, path, digest, size, mediaType, addedAt };
  }

  async finalize(input: { packageId: string; actor: string }): Promise<FinalizeResult> {
    const actor = validateActor(input.actor);
    const { packageId } = input;
    const manifestDigest = await this.#write(async (trx, recordedAt) => {
      const row = await loadOpenPackage(trx, packageId);
      const retention = await loadRetentionClass(trx, row.retention_class);
      const manifestPackage = {
        ...toPackageRecord(row),
        finalizedAt: recordedAt,
        finalizedBy: actor,
      };
      // The manifest is durable before the event that names it commits.
      const stored = await storeManifest(trx, this.#backend, manifestPackage);
      const retainUntil =
        retention.retain_days === null
          ? null
          : new Date(Date.parse(recordedAt) + retention.retain_days * DAY_MS).toISOString();
      const payload = {
        manifestDigest: stored.digest,
        manifestSize: stored.size,
        backend: this.#backend.name,
        retainUntil,
      };
      await appendEvent(
        trx,
        { type: 'package.finalized', packageId, payload },
        { actor, recordedAt },
      );
      return stored.digest;
    });
    this.#logger?.info({ packageId, digest: manifestDigest }, 'package finalized');
    return { package: await this.getPackage(packageId), manifestDigest };
  }

  async getManifest(
    packageId: string,
    format: ManifestFormat,
  ): Promise<{ digest: Digest; bytes: Buffer }> {
    const row = await this.#read(() => loadPackageRow(this.#store.db, packageId));
    if (row.manifest_digest === null) {
      throw new StoreError(
        'PACKAGE_NOT_FINALIZED',
        `package ${packageId} is still open and has no manifest yet; finalize it first`,
        { packageId },
      );
    }
    const digest = row.manifest_digest as Digest;
    const bytes = await this.#locations.read(digest, async (backend) =>
      readVerified(await backend.open(digest), digest, `${backend.name}:${digest}`),
    );
    if (format === 'cbor') return { digest, bytes };
    return { digest, bytes: Buffer.from(renderManifestJson(decodeManifest(bytes)), 'utf8') };
  }

  async getPackage(packageId: string): Promise<PackageRecord> {
    const row = await this.#read(() => loadPackageRow(this.#store.db, packageId));
    return toPackageRecord(row);
  }

  async listPackages(query: ListPackagesQuery = {}): Promise<Page<PackageRecord>> {
    const limit = pageSize(query.limit);
    let select = this.#store.db.selectFrom('artifact_packages').selectAll();
    if (query.producer !== undefined) select = select.where('producer', '=', query.producer);
    if (query.subject !== undefined) select = select.where('subject', '=', query.subject);
    if (query.name !== undefined) select = select.where('name', '=', query.name);
    if (query.state !== undefined) select = select.where('state', '=', query.state);
    if (query.cursor !== undefined) select = select.where('id', '>', decodeCursor(query.cursor));
    const rows = await this.#read(() =>
      select
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
    );
    const items = rows.slice(0, limit).map(toPackageRecord);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
  }

  async listFiles(
    packageId: string,
    query: { cursor?: string; limit?: number } = {},
  ): Promise<Page<FileRecord>> {
    const limit = pageSize(query.limit);
    await this.getPackage(packageId);
    let select = this.#store.db
      .selectFrom('artifact_files')
      .selectAll()
      .where('package_id', '=', packageId);
    if (query.cursor !== undefined) select = select.where('path', '>', decodeCursor(query.cursor));
    const rows = await this.#read(() =>
      select
        .orderBy('path')
        .limit(limit + 1)
        .execute(),
    );
    const items = rows.slice(0, limit).map(toFileRecord);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.path) : null };
  }

  async getFile(packageId: string, path: string): Promise<FileRecord> {
    // An invalid path can name no file, and saying why helps more than FILE_NOT_FOUND.
    validateRelativePath(path);
    await this.getPackage(packageId);
    const row = await this.#read(() =>
      this.#store.db
        .selectFrom('artifact_files')
        .selectAll()
        .where('package_id', '=', packageId)
        .where('path', '=', path)
        .executeTakeFirst(),
    );
    if (row === undefined) {
      throw new StoreError(
        'FILE_NOT_FOUND',
        `package ${packageId} has no file at ${JSON.stringify(path)}; list its files with GET /v1/packages/${packageId}/files`,
        { packageId, path },
      );
    }
    return toFileRecord(row);
  }

  async openFile(packageId: string, path: string, range?: ByteRange): Promise<OpenedObject> {
    const file = await this.getFile(packageId, path);
    return this.#open(file.digest, file.size, range);
  }

  async statObject(digest: Digest): Promise<{ digest: Digest; size: number }> {
    parseDigest(digest);
    const row = await this.#read(() =>
      this.#store.db
        .selectFrom('storage_locations')
        .select(['digest', 'size'])
        .where('digest', '=', digest)
        .executeTakeFirst(),
    );
    if (row === undefined) {
      throw new StoreError('OBJECT_NOT_FOUND', `object ${digest} not found in this store`, {
        digest,
      });
    }
    return { digest, size: Number(row.size) };
  }

  async openObject(digest: Digest, range?: ByteRange): Promise<OpenedObject> {
    const { size } = await this.statObject(digest);
    return this.#open(digest, size, range);
  }

  /**
   * Presigns a download of `digest` with the first backend, in read order, that stores it and
   * can presign. The URL expires after ARTIFACTSTORE_PRESIGN_EXPIRES_SECONDS. Returns null when
   * no such backend stores the object, for example when it is only on the local disk.
   */
  async presignDownload(digest: Digest): Promise<string | null> {
    const backend = await this.#locations.presignable(digest);
    if (backend === undefined) return null;
    return backend.presignDownload(digest, this.#config.storage.presignExpiresSeconds);
  }

  async listEvents(query: { after?: number; limit?: number } = {}): Promise<EventRecord[]> {
    const after = query.after ?? 0;
    if (!Number.isSafeInteger(after) || after < 0) {
      throw new StoreError(
        'INVALID_ARGUMENT',
        `invalid after=${after}: expected a sequence number of 0 or more`,
        { field: 'after', value: after },
      );
    }
    const events = await this.#read(() => readEvents(this.#store.db, after, pageSize(query.limit)));
    return events.map(toEventRecord);
  }

  async replay(): Promise<{ lastSeq: number; events: number }> {
    const result = await replayEvents(this.#store);
    this.#logger?.info(result, 'views rebuilt from the event log');
    return result;
  }

  async health(): Promise<HealthStatus> {
    const [db, backend] = await Promise.all([this.#probeDatabase(), this.#backend.health()]);
    const dbStatus = db ? 'ok' : 'unavailable';
    const backendStatus = backend.ok ? 'ok' : 'unavailable';
    const status = db && backend.ok ? 'ok' : 'degraded';
    return { status, db: dbStatus, backend: backendStatus, version: VERSION };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#backends.close(), this.#store.close()]);
  }

  /**
   * Copies every recorded object that backend `to` lacks into it, verifying each digest on
   * arrival and recording the copy with an `object.located` event. Resumable and idempotent.
   */
  async copyObjects(options: {
    to: string;
    actor: string;
    concurrency?: number;
    signal?: AbortSignal;
    onProgress?: (report: CopyReport) => void;
  }): Promise<CopyReport> {
    const actor = validateActor(options.actor);
    const target = this.#backends.get(options.to);
    if (target === undefined) {
      const configured = this.#backends.all().map((backend) => backend.name);
      throw new StoreError(
        'INVALID_ARGUMENT',
        `storage backend ${JSON.stringify(options.to)} is not configured; configured backends: ${configured.join(', ')} (see ARTIFACTSTORE_STORAGE_BACKENDS)`,
        { field: 'to', value: options.to, configured },
      );
    }
    return copyMissingObjects({
      db: this.#store.db,
      target,
      concurrency: options.concurrency ?? 4,
      signal: options.signal,
      onProgress: options.onProgress,
      openSource: (digest) =>
        this.#locations.read(digest, (backend) => {
          if (backend === target) throw new Error('skipping the copy target as a source');
          return backend.open(digest);
        }),
      recordLocation: (digest, size) => this.#recordLocation(digest, size, target.name, actor),
    });
  }

  async #recordLocation(digest: Digest, size: number, backend: string, actor: string) {
    await this.#write(async (trx, recordedAt) => {
      const existing = await trx
        .selectFrom('storage_locations')
        .select('digest')
        .where('digest', '=', digest)
        .where('backend', '=', backend)
        .executeTakeFirst();
      if (existing !== undefined) return;
      const payload = { digest, size, backend };
      await appendEvent(
        trx,
        { type: 'object.located', packageId: null, payload },
        { actor, recordedAt },
      );
    });
  }

  async #storeBytes(input: IngestFileInput, expectedDigest: Digest | undefined) {
    this.#uploadsInProgress++;
    try {
      const stored = await this.#backend.put(input.body, {
        expectedDigest,
        expectedSize: input.expectedSize,
        maxSize: this.#config.maxUploadBytes,
        signal: input.signal,
      });
      input.signal?.throwIfAborted();
      return stored;
    } finally {
      this.#uploadsInProgress--;
    }
  }

  /** Names of the backends that `storage_locations` records for an object. */
  locationsOf(digest: Digest): Promise<string[]> {
    return this.#locations.of(digest);
  }

  async #open(digest: Digest, size: number, range?: ByteRange): Promise<OpenedObject> {
    const checked = checkRange(range, size);
    const stream = await this.#locations.read(digest, (backend) =>
      backend.open(digest, checked ?? undefined),
    );
    return { digest, size, range: checked, stream };
  }

  async #probeDatabase(): Promise<boolean> {
    try {
      await this.#store.db.selectFrom('event_head').select('last_seq').limit(1).execute();
      return true;
    } catch (err) {
      this.#logger?.warn({ err }, 'database health probe failed');
      return false;
    }
  }

  async #read<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  /** Runs `work` in a write transaction, with the time that its events record. */
  #write<T>(work: (trx: Kysely<Database>, recordedAt: string) => Promise<T>): Promise<T> {
    // The time is read inside the transaction, so event times follow sequence order.
    return this.#batcher.submit((trx) => work(trx, new Date().toISOString()));
  }
}
