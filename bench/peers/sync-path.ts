import { open } from 'node:fs/promises';

/** Fsyncs a file or directory, for the peers that stand in for durable stores. */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
