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

/** Deletes every temp directory still registered; safe to call from an exit hook. */
export function removeAllTemp(): void {
  for (const dir of [...created]) removeTemp(dir);
}
