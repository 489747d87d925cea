import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
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

const FAN_OUT_NAME = /^[0-9a-f]{2}$/;

/** Errors that mean the root cannot be written, though it can be read. */
const READ_ONLY_ERRORS = new Set(['EROFS', 'EACCES', 'EPERM']);

/**
 * Returns the layout version of the local store at `root`. A root without a `layout-version`
 * file gets one: version 1 when `blake3/` already has a second fan-out level, which only
 * version 1 creates, and the version of new stores otherwise. The file is written to a temp
 * name, fsynced and linked into place, so concurrent starts on one root agree on one version.
 */
export async function resolveLayoutVersion(root: string): Promise<LayoutVersion> {
  const recorded = await readLayoutVersion(root);
  if (recorded !== undefined) return recorded;
  const version = (await hasSecondLevel(join(root, OBJECT_PREFIX))) ? 1 : NEW_LOCAL_LAYOUT_VERSION;
  return recordLayoutVersion(root, version);
}

async function readLayoutVersion(root: string): Promise<LayoutVersion | undefined> {
  const path = join(root, LAYOUT_VERSION_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw toStorageError(err, 'read layout version', path);
  }
  const version = text.trim();
  if (version === '1' || version === '2') return Number(version) as LayoutVersion;
  throw new StoreError(
    'STORAGE_ERROR',
    `${path} names layout version ${JSON.stringify(version.slice(0, 40))}, which this version of artifactstore cannot read; run a version that created it, or restore the file (it contains 1 or 2)`,
    { operation: 'read layout version', path, retryable: false },
  );
}

/** Tells whether any fan-out directory of `objectDir` contains a directory. */
async function hasSecondLevel(objectDir: string): Promise<boolean> {
  for (const name of await readdirOrEmpty(objectDir)) {
    if (!FAN_OUT_NAME.test(name)) continue;
    const entries = await readdir(join(objectDir, name), { withFileTypes: true }).catch(
      (err: unknown) => {
        if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return [];
        throw toStorageError(err, 'read fan-out directory', join(objectDir, name));
      },
    );
    if (entries.some((entry) => entry.isDirectory() && FAN_OUT_NAME.test(entry.name))) return true;
  }
  return false;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw toStorageError(err, 'list object directory', dir);
  }
}

/**
 * Writes `version` as the root's layout version unless another process wrote one first, and
 * returns the version that the file contains.
 */
async function recordLayoutVersion(root: string, version: LayoutVersion): Promise<LayoutVersion> {
  const path = join(root, LAYOUT_VERSION_FILE);
  const tempPath = join(root, `${LAYOUT_VERSION_FILE}.${randomUUID()}.tmp`);
  try {
    await mkdir(root, { recursive: true });
    await writeFile(tempPath, `${version}\n`, { flag: 'wx', flush: true });
    try {
      await link(tempPath, path);
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw err;
      return (await readLayoutVersion(root)) ?? version;
    }
    await syncPath(root);
    return version;
  } catch (err) {
    // A store on a read-only mount can still be read: the layout found above is deterministic.
    if (READ_ONLY_ERRORS.has(errorCode(err) ?? '')) return version;
    throw toStorageError(err, 'write layout version', path);
  } finally {
    await rm(tempPath, { force: true }).catch(() => undefined);
  }
}
