import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

/**
 * Downloads one file into a temporary file next to its target, hashing it as it streams, and
 * renames it over the target only once digest and size match the file record and the bytes are
 * fsynced. On any failure the temporary file is removed and the target is left untouched;
 * a mismatch raises INTEGRITY_ERROR.
 */
export async function downloadFile(
  client: StoreClient,
  packageId: string,
  download: PlannedDownload,
  options: { progress: TransferProgress; signal: AbortSignal },
): Promise<void> {
  const directory = dirname(download.target);
  await mkdir(directory, { recursive: true });
  // The temporary name does not derive from the target name, which may already be 255 bytes long.
  const temp = join(directory, `.artifactstore-${randomBytes(8).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const opened = await client.openFile(packageId, download.file.path, options.signal);
    const hasher = new ContentHasher();
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hasher.update(chunk);
        options.progress.addBytes(chunk.byteLength);
        callback(null, chunk);
      },
    });
    // `wx` creates the file exclusively; `flush` fsyncs it before the stream closes.
    const sink = createWriteStream(temp, { flags: 'wx', flush: true });
    await pipeline(opened.stream, meter, sink, { signal: options.signal });
    verify(packageId, download, hasher);
    await rename(temp, download.target);
    renamed = true;
  } finally {
    if (!renamed) await rm(temp, { force: true });
  }
  options.progress.completeFile();
}
