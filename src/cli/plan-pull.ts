import { lstat, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StoreError } from '../errors/store-error.js';
import { validateRelativePath } from '../identity/relative-path.js';
import type { FileRecord } from '../registry/records.js';
import type { PlannedDownload } from './download-file.js';
import { hashFile } from './hash-file.js';
import { PoolItemError, runPool } from './run-pool.js';

/** Work of a pull: the files to download, and the count of files already present and equal. */
export interface PullPlan {
  downloads: PlannedDownload[];
  unchanged: number;
}

interface Conflict {
  path: string;
  reason: string;
  /** `--force` cannot resolve it, such as a directory in the way. */
  blocking: boolean;
}

type Stats = Awaited<ReturnType<typeof lstat>>;

/** Returns the target's stats, null when it is absent, or 'blocked' when a parent is a file. */
async function lstatTarget(path: string): Promise<Stats | null | 'blocked'> {
  try {
    return await lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') return 'blocked';
    throw err;
  }
}

/**
 * State of a target's directory: 'missing' when it does not exist, so neither does the target;
 * 'blocked' when it or a parent is not a directory; 'present' otherwise.
 */
type DirectoryState = 'missing' | 'blocked' | 'present';

async function directoryState(path: string): Promise<DirectoryState> {
  try {
    return (await stat(path)).isDirectory() ? 'present' : 'blocked';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') return 'blocked';
    throw err;
  }
}

/** Compares an existing target with the file record; returns a conflict, 'equal' or 'absent'. */
async function compareTarget(
  file: FileRecord,
  target: string,
  directory: DirectoryState,
  signal: AbortSignal,
): Promise<Conflict | 'equal' | 'absent'> {
  // A fresh pull creates its directories, so this spares one lstat per file.
  if (directory === 'missing') return 'absent';
  const stats = directory === 'blocked' ? 'blocked' : await lstatTarget(target);
  if (stats === null) return 'absent';
  if (stats === 'blocked') {
    return {
      path: file.path,
      reason: 'has a file where a parent directory belongs',
      blocking: true,
    };
  }
  if (stats.isSymbolicLink()) {
    return { path: file.path, reason: 'is a symbolic link', blocking: false };
  }
  if (!stats.isFile()) {
    return { path: file.path, reason: 'is a directory or special file', blocking: true };
  }
  const local = await hashFile(target, signal);
  if (local.digest === file.digest) return 'equal';
  return { path: file.path, reason: `differs (${local.digest})`, blocking: false };
}

function conflictError(root: string, conflicts: Conflict[], force: boolean): StoreError {
  const first = conflicts[0] as Conflict;
  const remedy = force
    ? 'move it out of the way and pull again'
    : 'pass --force to overwrite differing files, or pull into an empty directory';
  return new StoreError(
    'PATH_CONFLICT',
    `cannot pull into ${root}: ${conflicts.length} target file(s) already exist with other content, first ${JSON.stringify(first.path)} which ${first.reason}; ${remedy}`,
    { directory: root, conflicts: conflicts.map(({ path, reason }) => ({ path, reason })) },
  );
}

/**
 * Decides, before anything is written, which files a pull downloads. A target that exists with
 * the same digest is left as it is. One that differs, or is a symbolic link, is a conflict unless
 * `force` is set. A directory or special file in the way is always a conflict. Any conflict
 * rejects the whole pull with PATH_CONFLICT listing them. Paths from the store are checked again
 * here so that no file lands outside `root`. Up to `concurrency` targets are compared at once;
 * the plan lists downloads and conflicts in file order all the same.
 */
export async function planPull(
  root: string,
  files: readonly FileRecord[],
  options: { force: boolean; concurrency: number; signal: AbortSignal },
): Promise<PullPlan> {
  const targets = files.map((file) => join(root, ...validateRelativePath(file.path).split('/')));
  const directories = new Map<string, Promise<DirectoryState>>();
  const outcomes: Array<Conflict | 'equal' | 'absent'> = new Array(files.length);
  // Each comparison hashes with the pool's signal: runPool raises its listener limit to match
  // the concurrency, while the caller's signal keeps Node's default of 10.
  const compare = async (index: number, signal: AbortSignal): Promise<void> => {
    const target = targets[index] as string;
    const directory = dirname(target);
    let state = directories.get(directory);
    if (state === undefined) {
      state = directoryState(directory);
      directories.set(directory, state);
    }
    outcomes[index] = await compareTarget(files[index] as FileRecord, target, await state, signal);
  };
  try {
    await runPool([...files.keys()], options.concurrency, options.signal, compare);
  } catch (err) {
    throw err instanceof PoolItemError ? err.cause : err;
  }

  const plan: PullPlan = { downloads: [], unchanged: 0 };
  const conflicts: Conflict[] = [];
  files.forEach((file, index) => {
    const outcome = outcomes[index] as Conflict | 'equal' | 'absent';
    if (outcome === 'equal') {
      plan.unchanged += 1;
    } else if (outcome === 'absent' || (options.force && !outcome.blocking)) {
      plan.downloads.push({ file, target: targets[index] as string });
    } else {
      conflicts.push(outcome);
    }
  });
  if (conflicts.length > 0) throw conflictError(root, conflicts, options.force);
  return plan;
}
