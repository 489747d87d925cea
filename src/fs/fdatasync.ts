import { open } from 'node:fs/promises';

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
