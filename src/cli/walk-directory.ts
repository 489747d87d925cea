import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isStoreError, StoreError } from '../errors/store-error.js';
import { comparePaths } from '../manifest/compare-paths.js';
import { validateRelativePath } from '../identity/relative-path.js';

/** A regular file found under the pushed directory. */
export interface LocalFile {
  /** Path inside the package: relative to the directory, `/`-separated. */
  path: string;
  /** Absolute path on disk. */
  absolute: string;
  size: number;
}

/** Result of a walk: the files to push, and the entries skipped with `skipSpecial`. */
export interface WalkResult {
  files: LocalFile[];
  skipped: Array<{ path: string; kind: string }>;
}

function kindOf(entry: Dirent): string {
  if (entry.isSymbolicLink()) return 'symbolic link';
  if (entry.isFIFO()) return 'FIFO';
  if (entry.isSocket()) return 'socket';
  if (entry.isBlockDevice() || entry.isCharacterDevice()) return 'device';
  return 'special file';
}

function rejectSpecial(path: string, kind: string): StoreError {
  return new StoreError(
    'INVALID_ARGUMENT',
    `cannot push ${JSON.stringify(path)}: it is a ${kind}, and only regular files are pushed; replace it with a copy of its target or pass --skip-special to leave it out`,
    { path, kind },
  );
}

function checkPackagePath(path: string): string {
  try {
    return validateRelativePath(path);
  } catch (err) {
    if (!isStoreError(err)) throw err;
    throw new StoreError(
      err.code,
      `cannot push this file: ${err.message}; rename it on disk`,
      err.details,
      err,
    );
  }
}

/**
 * Lists the regular files under `root`, recursively, sorted by package path. Symbolic links are
 * never followed. A symbolic link or any other non-regular entry rejects the walk with
 * INVALID_ARGUMENT, unless `skipSpecial` is set, in which case it is listed in `skipped`.
 * Empty directories are not represented, because a package contains only files. Every path is
 * checked against the package path rules (INVALID_PATH) before anything is uploaded.
 */
export async function walkDirectory(root: string, skipSpecial: boolean): Promise<WalkResult> {
  const result: WalkResult = { files: [], skipped: [] };
  await walkInto(root, '', skipSpecial, result);
  result.files.sort((a, b) => comparePaths(a.path, b.path));
  return result;
}

async function walkInto(
  absolute: string,
  prefix: string,
  skipSpecial: boolean,
  result: WalkResult,
): Promise<void> {
  const entries = await readdir(absolute, { withFileTypes: true });
  for (const entry of entries) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    const child = join(absolute, entry.name);
    if (entry.isDirectory()) {
      await walkInto(child, path, skipSpecial, result);
    } else if (entry.isFile()) {
      const stats = await lstat(child);
      result.files.push({ path: checkPackagePath(path), absolute: child, size: stats.size });
    } else if (skipSpecial) {
      result.skipped.push({ path, kind: kindOf(entry) });
    } else {
      throw rejectSpecial(path, kindOf(entry));
    }
  }
}
