import { open } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Fsyncs a directory, so that entries created or renamed in it survive a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Fsyncs the parents of the directories that `mkdir(leaf, { recursive: true })` created, from the
 * parent of `firstCreated` down to the parent of `leaf`. The caller syncs `leaf` itself once it
 * has linked a file into it.
 */
export async function syncNewDirectories(firstCreated: string, leaf: string): Promise<void> {
  const stop = dirname(firstCreated);
  const chain: string[] = [];
  for (let dir = dirname(leaf); ; dir = dirname(dir)) {
    chain.push(dir);
    if (dir === stop || dir === dirname(dir)) break;
  }
  for (const dir of chain.reverse()) await syncDirectory(dir);
}
