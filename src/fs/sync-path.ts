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
