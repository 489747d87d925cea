import { open } from 'node:fs/promises';

/**
 * Fsyncs a file, or a directory so that entries created or renamed in it survive a crash. On
 * Linux an fsync through any descriptor flushes all data written to the file, so opening it
 * read-only is enough.
 */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Fdatasyncs the file at `path`. A missing file has nothing left to flush: SQLite deletes its WAL
 * only after checkpointing every frame into the database file and fsyncing that file.
 */
export async function fdatasyncIfPresent(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
