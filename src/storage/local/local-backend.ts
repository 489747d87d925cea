import { randomUUID } from 'node:crypto';
import { type FileHandle, lstat, mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Digest, parseDigest } from '../../identity/digest.js';
import { FsyncRounds } from '../../fs/fsync-rounds.js';
import { syncPath } from '../../fs/sync-path.js';
import { HashingStream } from '../../identity/hasher.js';
import type {
  ByteRange,
  HealthReport,
  ListOptions,
  ListPage,
  ObjectStat,
  PutOptions,
  PutResult,
  StorageBackend,
  StorageCapabilities,
} from '../backend.js';
import {
  callerSideFailure,
  checkByteRange,
  FailureOrigin,
  objectNotFoundError,
  uploadAbortedError,
  verifyPutResult,
} from '../contract-checks.js';
import { type LayoutVersion, OBJECT_PREFIX, TEMP_PREFIX, objectKey } from '../layout.js';
import { errorCode, toStorageError } from './fs-errors.js';
import { listObjectFiles } from './list-object-files.js';
import { changedParents } from './changed-parents.js';
import { resolveLayoutVersion } from './layout-version.js';
import { linkNoReplace } from './link-no-replace.js';
import { isAbandonedTemp, newTempName } from './temp-names.js';

/** Settings of a `LocalBackend`. */
export /**
 * Creates the 256 first-level fan-out directories once, so that storing an object creates at
 * most one new directory and fsyncs one parent instead of a chain of them.
 */
async function createFanOutDirectories(objectDir: string): Promise<void> {
  if ((await readdir(objectDir)).length >= 256) return;
  for (let index = 0; index < 256; index++) {
    await mkdir(join(objectDir, index.toString(16).padStart(2, '0')), { recursive: true });
  }
  await syncPath(objectDir);
}

/**
 * Subdirectories of `tmp/` that new temp files take in turn. Creating a file locks its directory
 * while ext4 allocates the inode, which can take long after many deletions, so concurrent
 * writers that share one directory wait on each other.
 */
const TEMP_SHARDS: readonly string[] = Array.from({ length: 16 }, (_, index) => index.toString(16));

/** Size of each read from an object file. */
const READ_CHUNK_BYTES = 1024 * 1024;

interface LocalBackendOptions {
  /** Backend name in configuration and views; defaults to `local`. */
  name?: string;
  /** Directory that contains `blake3/` and `tmp/`; made absolute at construction. */
  root: string;
}

/**
 * Storage backend on a local filesystem, laid out as in storage/layout.ts. Writes go to an
 * exclusive temp file in `tmp/` and are verified. A new object is then fsynced and hard-linked
 * into place, so a reader sees either no object or the whole verified object.
 */
export class LocalBackend implements StorageBackend {
  readonly name: string;

  // Filesystem calls share libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE is set), so
  // fan-out far beyond this only queues.
  readonly capabilities: StorageCapabilities = Object.freeze({
    rangeReads: true,
    presignedUrls: false,
    maxConcurrency: 16,
  });

  readonly #root: string;
  readonly #objectDir: string;
  readonly #tempDir: string;
  readonly #directorySync = new FsyncRounds((path) => this.#syncDirectory(path));
  /** Descriptors of the fan-out directories, kept open for their fsyncs. */
  readonly #fanOutHandles = new Map<string, Promise<FileHandle>>();
  #layout: Promise<LayoutVersion> | undefined;
  #nextShard = 0;

  constructor(options: LocalBackendOptions) {
    this.name = options.name ?? 'local';
    this.#root = resolve(options.root);
    this.#objectDir = resolve(this.#root, OBJECT_PREFIX);
    this.#tempDir = join(this.#root, TEMP_PREFIX);
  }

  /**
   * Reads or records the root's layout version (see layout-version.ts). Creates the root,
   * `blake3/` and `tmp/` with its shards, and deletes the temp files of writes
   * that a crash interrupted (see `isAbandonedTemp`), in `tmp/` and in its shards. Temp files of
   * other live processes sharing the root stay.
   */
  async init(): Promise<void> {
    const objectDir = this.#objectDir;
    await this.#layoutVersion();
    try {
      await mkdir(objectDir, { recursive: true });
      for (const shard of TEMP_SHARDS) await mkdir(join(this.#tempDir, shard), { recursive: true });
      await createFanOutDirectories(objectDir);
    } catch (err) {
      throw toStorageError(err, 'create storage directories', this.#root);
    }
    for (const entry of await this.#readDir(this.#tempDir)) {
      const path = join(this.#tempDir, entry);
      if (TEMP_SHARDS.includes(entry)) {
        for (const name of await this.#readDir(path)) await removeIfAbandoned(join(path, name));
      } else {
        await removeIfAbandoned(path);
      }
    }
  }

  /** Streams `source` into a temp file, verifies it, then links it under its digest. */
  async put(source: Readable, options: PutOptions = {}): Promise<PutResult> {
    if (options.signal?.aborted) throw uploadAbortedError(options.signal);
    const tempPath = this.#newTempPath();
    const origin = new FailureOrigin().watch(source, 'source');
    let handle: FileHandle | undefined;
    try {
      handle = await createTemp(tempPath);
      const { digest, size } = await receive(source, handle, origin, options);
      verifyPutResult(digest, size, options);
      const created = await this.#commit(tempPath, handle, digest);
      return { digest, size, created };
    } catch (err) {
      throw (
        callerSideFailure(err, origin.sourceFailedFirst, options.signal) ??
        toStorageError(err, 'write temp file', tempPath)
      );
    } finally {
      await handle?.close().catch(() => undefined);
      // `unlink` spares the lstat that `rm` makes first.
      await unlink(tempPath).catch(() => undefined);
    }
  }

  /** Opens the object, or `range` of it. Throws `OBJECT_NOT_FOUND` when it is absent. */
  async open(digest: Digest, range?: ByteRange): Promise<Readable> {
    if (range !== undefined) checkByteRange(range);
    let handle: FileHandle | undefined;
    let path = '';
    for (path of await this.#readPaths(digest)) {
      try {
        handle = await open(path, 'r');
        break;
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') throw toStorageError(err, 'open object', path);
      }
    }
    if (handle === undefined) throw objectNotFoundError(digest, this.name);
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (err) {
      await handle.close();
      throw toStorageError(err, 'stat object', path);
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    // Reads of up to 1 MiB cut syscalls and event-loop turns per byte served, compared with the
    // 64 KiB default. A smaller object gets one read of its own size, and a known end spares the
    // read that would only find the end of the file.
    const highWaterMark = Math.min(READ_CHUNK_BYTES, Math.max(end - start + 1, 1));
    return handle.createReadStream({ highWaterMark, start, end: Math.max(end, start) });
  }

  /** Returns the object's size, or null when it is absent. */
  async stat(digest: Digest): Promise<ObjectStat | null> {
    for (const path of await this.#readPaths(digest)) {
      try {
        return { size: (await stat(path)).size };
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') throw toStorageError(err, 'stat object', path);
      }
    }
    return null;
  }

  /** Tells whether the object is stored. */
  async exists(digest: Digest): Promise<boolean> {
    return (await this.stat(digest)) !== null;
  }

  /** Deletes the object; returns false when it was already absent. Fan-out directories stay. */
  async delete(digest: Digest): Promise<boolean> {
    let deleted = false;
    for (const path of await this.#readPaths(digest)) {
      try {
        await rm(path);
        deleted = true;
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') throw toStorageError(err, 'delete object', path);
      }
    }
    return deleted;
  }

  /** Lists objects in digest order by walking the fan-out directories. */
  async list(options: ListOptions = {}): Promise<ListPage> {
    return listObjectFiles(this.#objectDir, options, await this.#layoutVersion());
  }

  /** Writes, fsyncs and deletes a probe file in `tmp/`. Never throws. */
  async health(): Promise<HealthReport> {
    const probe = join(this.#tempDir, `health-${randomUUID()}`);
    try {
      const handle = await open(probe, 'wx', 0o600);
      try {
        await handle.writeFile('health probe\n');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rm(probe);
      return { ok: true };
    } catch (err) {
      await rm(probe, { force: true }).catch(() => undefined);
      return { ok: false, detail: toStorageError(err, 'health probe', probe).message };
    }
  }

  /** Closes the descriptors kept for directory fsyncs. */
  async close(): Promise<void> {
    const handles = [...this.#fanOutHandles.values()];
    this.#fanOutHandles.clear();
    for (const handle of handles) await (await handle.catch(() => undefined))?.close();
  }

  async #readDir(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (err) {
      throw toStorageError(err, 'list temp directory', dir);
    }
  }

  /** A new temp path, in the shards in turn. */
  #newTempPath(): string {
    const shard = TEMP_SHARDS[this.#nextShard] as string;
    this.#nextShard = (this.#nextShard + 1) % TEMP_SHARDS.length;
    return join(this.#tempDir, shard, newTempName());
  }

  /**
   * Makes the verified temp file visible under its digest and durable. Returns false when the
   * object already exists. `link` fails with EEXIST rather than replacing a file, so among
   * concurrent writers of equal bytes exactly one reports `created: true` and a stored object is
   * never replaced. A writer that finds the object or its directory made by another writer of
   * this process waits for that writer's directory fsyncs before it returns. Writers in other
   * processes sharing the root are not awaited.
   */
  async #commit(tempPath: string, temp: FileHandle, digest: Digest): Promise<boolean> {
    const finalPath = await this.#objectPath(digest);
    const dir = dirname(finalPath);
    try {
      if (await this.#fileExists(finalPath)) {
        await this.#settle(dir);
        return false;
      }
      // Only bytes that will be published are flushed, so storing a duplicate costs no fsync.
      await temp.sync();
      let { parentsDurable } = await this.#makeDirectory(dir);
      let linked: boolean;
      try {
        linked = await linkNoReplace(tempPath, finalPath);
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') throw err;
        // The directory was removed while the store ran: drop its kept descriptor, create it
        // again and link once more.
        this.#forgetFanOut(dir);
        await parentsDurable.catch(() => undefined);
        ({ parentsDurable } = await this.#makeDirectory(dir));
        linked = await linkNoReplace(tempPath, finalPath);
      }
      if (linked) await this.#directorySync.sync([dir]);
      else await this.#directorySync.settle(dir);
      await parentsDurable;
      return linked;
    } catch (err) {
      throw toStorageError(err, 'commit object', finalPath);
    }
  }

  /**
   * Creates `dir` unless it is a fan-out directory with a kept descriptor, which exists already.
   * The parents' fsync is requested as soon as the directory exists, so a concurrent writer that
   * links into the new directory finds it pending and waits for it. The caller awaits
   * `parentsDurable` before it reports the object stored.
   */
  async #makeDirectory(dir: string): Promise<{ parentsDurable: Promise<void> }> {
    const firstCreated = this.#fanOutHandles.has(dir)
      ? undefined
      : await mkdir(dir, { recursive: true });
    const parentsDurable =
      firstCreated === undefined
        ? this.#directorySync.settle(dirname(dir))
        : this.#directorySync.sync(changedParents(firstCreated, dir));
    parentsDurable.catch(() => undefined);
    return { parentsDurable };
  }

  /**
   * Fsyncs a directory. A fan-out directory (`blake3/ab`) is fsynced through a descriptor kept
   * open until `close`, which spares an open and a close per stored object. Deeper directories
   * of layout version 1 are opened for each fsync, because there can be 65,536 of them.
   */
  async #syncDirectory(path: string): Promise<void> {
    if (dirname(path) !== this.#objectDir) return syncPath(path);
    let handle = this.#fanOutHandles.get(path);
    if (handle === undefined) {
      handle = open(path, 'r');
      this.#fanOutHandles.set(path, handle);
    }
    try {
      await (await handle).sync();
    } catch (err) {
      this.#forgetFanOut(path);
      throw err;
    }
  }

  /** Drops and closes the kept descriptor of a fan-out directory, if there is one. */
  #forgetFanOut(path: string): void {
    const handle = this.#fanOutHandles.get(path);
    if (handle === undefined) return;
    this.#fanOutHandles.delete(path);
    handle.then((opened) => opened.close()).catch(() => undefined);
  }

  /** Returns the root's layout version, read or recorded on first use. */
  #layoutVersion(): Promise<LayoutVersion> {
    this.#layout ??= resolveLayoutVersion(this.#root).catch((err: unknown) => {
      this.#layout = undefined;
      throw err;
    });
    return this.#layout;
  }

  async #settle(dir: string): Promise<void> {
    await this.#directorySync.settle(dir);
    await this.#directorySync.settle(dirname(dir));
  }

  async #fileExists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  /**
   * Paths where the object can be, in the order to try them. A version-2 root also has the
   * version-1 path, where a process of an older artifactstore sharing the root stores objects.
   */
  async #readPaths(digest: Digest): Promise<string[]> {
    const parsed = parseDigest(digest);
    const version = await this.#layoutVersion();
    const primary = join(this.#root, objectKey(parsed, version));
    return version === 1 ? [primary] : [primary, join(this.#root, objectKey(parsed, 1))];
  }

  async #objectPath(digest: Digest): Promise<string> {
    const key = objectKey(parseDigest(digest), await this.#layoutVersion());
    return join(this.#root, key);
  }
}

/**
 * Creates the temp file read-only: the mode applies to the new file, while the returned
 * descriptor stays writable, so the object needs no chmod before its hard link. A temp shard
 * removed while the store ran is created again.
 */
async function createTemp(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx', 0o444);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
    await mkdir(dirname(path), { recursive: true });
    return open(path, 'wx', 0o444);
  }
}

/** Writes `source` through a `HashingStream` to `sink`, which stays open for the fsync. */
async function receive(
  source: Readable,
  sink: FileHandle,
  origin: FailureOrigin,
  options: PutOptions,
): Promise<{ digest: Digest; size: number }> {
  const hashing = new HashingStream({ maxSize: options.maxSize });
  const writer = handleWriter(sink);
  origin.watch(writer, 'store');
  await pipeline(source, hashing, writer, { signal: options.signal });
  return { digest: hashing.hasher.digest(), size: hashing.hasher.size };
}

/**
 * Returns a stream that appends to `handle` and leaves it open. `handle.createWriteStream` does
 * not fit: `handle.close()` waits until such a stream closes the handle itself, which must come
 * after the object's fsync.
 */
function handleWriter(handle: FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writeAll(handle, [chunk]).then(() => callback(), callback);
    },
    writev(chunks, callback) {
      const buffers = chunks.map(({ chunk }) => chunk as Buffer);
      writeAll(handle, buffers).then(() => callback(), callback);
    },
  });
}

/** Writes `buffers` in order with as few calls as the kernel allows. */
async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    // A short write leaves the tail of one buffer and the buffers after it.
    while (rest.length > 0 && bytesWritten >= (rest[0] as Buffer).byteLength) {
      bytesWritten -= (rest[0] as Buffer).byteLength;
      rest = rest.slice(1);
    }
    if (rest.length > 0 && bytesWritten > 0) {
      rest = [(rest[0] as Buffer).subarray(bytesWritten), ...rest.slice(1)];
    }
  }
}

/** Deletes a temp file or stray entry left by a writer that is gone (see `isAbandonedTemp`). */
async function removeIfAbandoned(path: string): Promise<void> {
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined || !isAbandonedTemp(basename(path), stats.mtimeMs)) return;
  await rm(path, { recursive: true, force: true }).catch((err: unknown) => {
    throw toStorageError(err, 'delete leftover temp file', path);
  });
}
