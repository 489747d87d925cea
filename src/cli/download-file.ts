import { randomBytes } from 'node:crypto';
import { close, open, rm, write, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { StoreClient } from '../client/store-client.js';
import { StoreError } from '../errors/store-error.js';
import { ContentHasher } from '../identity/hasher.js';
import type { FileRecord } from '../registry/records.js';
import type { TransferProgress } from './progress.js';

/** One file to download and the local path it goes to. */
export interface PlannedDownload {
  file: FileRecord;
  target: string;
}

/**
 * A downloaded file whose digest and size matched its record, under its temporary name and still
 * open, because it is not fsynced yet.
 */
export interface StagedFile {
  download: PlannedDownload;
  temp: string;
  /** Open descriptor of the temporary file. */
  fd: number;
}

/**
 * Largest file kept in memory until it is verified, and the size of each write of a larger one.
 * Memory per download stays within a few times this, whatever the file size.
 */
const SLICE_BYTES = 1024 * 1024;

// Raw descriptors rather than `FileHandle`s, because small files are written through them with
// blocking calls and a pull opens thousands of them.
const openAsync = promisify(open);
const writeAsync = promisify(write);
const closeAsync = promisify(close);
const rmAsync = promisify(rm);

interface DownloadOptions {
  progress: TransferProgress;
  signal: AbortSignal;
}

function verify(packageId: string, download: PlannedDownload, hasher: ContentHasher): void {
  const { file, target } = download;
  const actual = hasher.digest();
  if (actual === file.digest && hasher.size === file.size) return;
  throw new StoreError(
    'INTEGRITY_ERROR',
    `file ${JSON.stringify(file.path)} of package ${packageId} failed verification: expected ${file.digest} (${file.size} bytes), got ${actual} (${hasher.size} bytes); the stored copy is corrupted and ${target} was not written`,
    {
      packageId,
      path: file.path,
      expected: file.digest,
      actual,
      expectedSize: file.size,
      actualSize: hasher.size,
    },
  );
}

/** Random part of this process's temporary names; `wx` still rejects any name that exists. */
const TEMP_PREFIX = `.artifactstore-${randomBytes(6).toString('hex')}`;
let tempCount = 0;

/** Returns a new temporary path in the target's directory. */
function tempPathFor(target: string): string {
  tempCount += 1;
  // The name does not derive from the target name, which may already be 255 bytes long.
  return join(dirname(target), `${TEMP_PREFIX}-${tempCount}.tmp`);
}

/**
 * Reads a body of at most `SLICE_BYTES`, hashing every chunk. Bytes past `limit` are hashed and
 * counted but not kept, so a body longer than its record fails verification with its real size
 * while memory stays bounded.
 */
async function readSmallBody(
  stream: Readable,
  hasher: ContentHasher,
  limit: number,
  options: DownloadOptions,
): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    options.signal.throwIfAborted();
    hasher.update(chunk);
    options.progress.addBytes(chunk.byteLength);
    if (hasher.size <= limit) chunks.push(chunk);
  }
  return chunks;
}

/**
 * Creates the temporary file and writes a verified small body into it. The create runs on the
 * thread pool because it can be slow. To allocate an inode, ext4 without a journal (Linux 6.x)
 * steps over every recently deleted one: after thousands of deletions that took up to about 1 ms
 * per file on a 2-core VM. The write of a body already in memory is cheaper made directly.
 */
async function writeSmallFile(temp: string, body: Buffer): Promise<number> {
  // `wx` creates the file exclusively, so an existing file is never written through.
  const fd = await openAsync(temp, 'wx');
  try {
    let offset = 0;
    while (offset < body.byteLength) offset += writeSync(fd, body, offset);
  } catch (err) {
    await discardTemp({ temp, fd });
    throw err;
  }
  return fd;
}

/** Returns the chunks as one buffer, copying only when there are several. */
function joinChunks(chunks: Buffer[], byteLength: number): Buffer {
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, byteLength);
}

/** Writes all of `bytes`; a write to a regular file may take fewer bytes than it was given. */
async function writeFully(fd: number, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await writeAsync(fd, bytes, offset, bytes.byteLength - offset, null);
    offset += bytesWritten;
  }
}

/** Streams a large body into a new temporary file in slices of `SLICE_BYTES`, hashing it. */
async function writeLargeFile(
  stream: Readable,
  temp: string,
  hasher: ContentHasher,
  options: DownloadOptions,
): Promise<number> {
  const fd = await openAsync(temp, 'wx');
  try {
    let slice: Buffer[] = [];
    let sliceBytes = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      options.signal.throwIfAborted();
      hasher.update(chunk);
      options.progress.addBytes(chunk.byteLength);
      slice.push(chunk);
      sliceBytes += chunk.byteLength;
      if (sliceBytes >= SLICE_BYTES) {
        await writeFully(fd, joinChunks(slice, sliceBytes));
        slice = [];
        sliceBytes = 0;
      }
    }
    if (sliceBytes > 0) await writeFully(fd, joinChunks(slice, sliceBytes));
  } catch (err) {
    await discardTemp({ temp, fd });
    throw err;
  }
  return fd;
}

/**
 * Downloads one file into a new temporary file in its target's directory, which must exist,
 * and checks digest and size against the file record: a mismatch raises INTEGRITY_ERROR. A file
 * of at most `SLICE_BYTES` is verified in memory before any file is created; a larger one is
 * verified once it is written. On success the caller owns the open temporary file and must fsync
 * and rename it (see `FileCommitter`). On failure no temporary file remains.
 */
export async function downloadToTemp(
  client: StoreClient,
  packageId: string,
  download: PlannedDownload,
  options: DownloadOptions,
): Promise<StagedFile> {
  const { file } = download;
  const opened = await client.openObject(file.digest, file.size, options.signal);
  const temp = tempPathFor(download.target);
  const hasher = new ContentHasher();
  try {
    if (file.size <= SLICE_BYTES) {
      const chunks = await readSmallBody(opened.stream, hasher, file.size, options);
      verify(packageId, download, hasher);
      const body = joinChunks(chunks, file.size);
      return { download, temp, fd: await writeSmallFile(temp, body) };
    }
    const fd = await writeLargeFile(opened.stream, temp, hasher, options);
    try {
      verify(packageId, download, hasher);
    } catch (err) {
      await discardTemp({ temp, fd });
      throw err;
    }
    return { download, temp, fd };
  } catch (err) {
    opened.stream.destroy();
    throw err;
  }
}

/**
 * Closes and deletes a temporary file on a failure path. Errors are ignored because the failure
 * that led here is the one to report.
 */
export async function discardTemp(staged: { temp: string; fd: number }): Promise<void> {
  await closeAsync(staged.fd).catch(() => undefined);
  await rmAsync(staged.temp, { force: true }).catch(() => undefined);
}
