import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * Paths of the files under the local backend's `tmp/`, relative to it and sorted. The directories
 * that temp files are spread over are not listed.
 */
export async function listTempFiles(storageRoot: string): Promise<string[]> {
  const tempDir = join(storageRoot, 'tmp');
  const entries = await readdir(tempDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(tempDir, join(entry.parentPath, entry.name)))
    .sort();
}
