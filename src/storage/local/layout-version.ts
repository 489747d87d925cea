import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../errors/store-error.js';
import { syncPath } from '../../fs/sync-path.js';
import {
  LAYOUT_VERSION_FILE,
  type LayoutVersion,
  NEW_LOCAL_LAYOUT_VERSION,
  OBJECT_PREFIX,
} from '../layout.js';
import { errorCode, toStorageError } from './fs-errors.js';
import { FAN_OUT_NAME, OBJECT_NAME, sortedNames } from './list-object-files.js';
import { linkNoReplace } from './link-no-replace.js';

/** Errors of the temp write that mean the root cannot be written, though it can be read. */
const READ_ONLY_ERRORS = new Set(['EROFS', 'EACCES', 'EPERM']);

const WHAT_TO_WRITE =
  'write 1 if objects are at blake3/ab/cd/<digest>, or 2 if they are at blake3/ab/<digest>';

/**
 * Returns the layout version of the local store at `root`. A root without a `layout-version`
 * file gets one, chosen by where object files are: version 1 when they are two levels deep,
 * and the version of new stores when they are one level deep or there are none. Object files
 * at both depths stop the store, because either choice would hide some of them. The file is
 * written to a temp name, fsynced and linked into place, so concurrent starts on one root agree.
 */
export async function resolveLayoutVersion(root: string): Promise<LayoutVersion> {
  const recorded = await readLayoutVersion(root);
  if (recorded !== undefined) return recorded;
  return recordLayoutVersion(root, await detectLayoutVersion(root));
}

async function readLayoutVersion(root: string): Promise<LayoutVersion | undefined> {
  const path = join(root, LAYOUT_VERSION_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    if (errorCode(err) === 'EISDIR') {
      throw layoutError(
        path,
        `${path} is a directory; replace it with a file and ${WHAT_TO_WRITE}`,
      );
    }
    throw toStorageError(err, 'read layout version', path);
  }
  const version = text.trim();
  if (version === '1' || version === '2') return Number(version) as LayoutVersion;
  throw layoutError(
    path,
    `${path} names layout version ${JSON.stringify(version.slice(0, 40))}, which this version of artifactstore cannot read; run the version that created it, or ${WHAT_TO_WRITE}`,
  );
}

function layoutError(path: string, message: string): StoreError {
  return new StoreError('STORAGE_ERROR', message, {
    operation: 'read layout version',
    path,
    retryable: false,
  });
}

/** Chooses the layout version of a root without a `layout-version` file from its object files. */
async function detectLayoutVersion(root: string): Promise<LayoutVersion> {
  const objectDir = join(root, OBJECT_PREFIX);
  let oneLevel: string | undefined;
  let twoLevels: string | undefined;
  for (const first of await sortedNames(objectDir, FAN_OUT_NAME)) {
    const firstDir = join(objectDir, first);
    const [object] = await sortedNames(firstDir, OBJECT_NAME);
    if (oneLevel === undefined && object !== undefined) oneLevel = join(firstDir, object);
    twoLevels ??= await objectBelow(firstDir);
  }
  if (oneLevel !== undefined && twoLevels !== undefined) {
    const path = join(root, LAYOUT_VERSION_FILE);
    throw layoutError(
      path,
      `${path} is missing, and ${objectDir} has objects both one and two levels deep (${oneLevel}, ${twoLevels}); restore the file as it was, or ${WHAT_TO_WRITE}`,
    );
  }
  return twoLevels === undefined ? NEW_LOCAL_LAYOUT_VERSION : 1;
}

/** Returns the path of an object file in a second-level directory under `firstDir`, if any. */
async function objectBelow(firstDir: string): Promise<string | undefined> {
  for (const second of await sortedNames(firstDir, FAN_OUT_NAME)) {
    const secondDir = join(firstDir, second);
    const [object] = await sortedNames(secondDir, OBJECT_NAME);
    if (object !== undefined) return join(secondDir, object);
  }
  return undefined;
}

/**
 * Writes `version` as the root's layout version unless another process wrote one first, and
 * returns the version that the file contains.
 */
async function recordLayoutVersion(root: string, version: LayoutVersion): Promise<LayoutVersion> {
  const path = join(root, LAYOUT_VERSION_FILE);
  const tempPath = join(root, `${LAYOUT_VERSION_FILE}.${randomUUID()}.tmp`);
  try {
    try {
      await mkdir(root, { recursive: true });
      await writeFile(tempPath, `${version}\n`, { flag: 'wx', flush: true });
    } catch (err) {
      // A store on a read-only mount can still be read: the detected layout is deterministic.
      if (READ_ONLY_ERRORS.has(errorCode(err) ?? '')) return version;
      throw err;
    }
    if (!(await linkNoReplace(tempPath, path))) return (await readLayoutVersion(root)) ?? version;
    await syncPath(root);
    return version;
  } catch (err) {
    throw toStorageError(err, 'write layout version', path);
  } finally {
    await rm(tempPath, { force: true }).catch(() => undefined);
  }
}
