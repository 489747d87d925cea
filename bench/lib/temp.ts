import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created = new Set<string>();

/** Creates a temp directory for this run; `removeAllTemp` deletes whatever is left at the end. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `artifactstore-bench-${prefix}-`));
  created.add(dir);
  return dir;
}

/** Deletes one temp directory made by `makeTempDir`, with everything in it. */
export function removeTemp(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  created.delete(dir);
}

/**
 * Leaves a directory of many small files in place until `removeAllTemp` runs at the end. Without
 * a journal, ext4 skips inodes freed in the last 60 s (300 s while their inode table block is not
 * yet written) when it allocates new ones (`recently_deleted` in fs/ext4/ialloc.c). Here, 4 KiB
 * uploads right after 20,000 deletions ran at half the rate seen 100 s later, so deleting between
 * runs would slow whichever target ran next.
 */
export function removeAtEnd(dir: string): void {
  if (!created.has(dir)) throw new Error(`removeAtEnd: ${dir} was not made by makeTempDir`);
}

/** Deletes every temp directory still registered; safe to call from an exit hook. */
export function removeAllTemp(): void {
  for (const dir of [...created]) removeTemp(dir);
}
