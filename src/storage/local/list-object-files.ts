import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Digest, digestHex, formatDigest } from '../../identity/digest.js';
import type { ListOptions, ListPage } from '../backend.js';
import type { LayoutVersion } from '../layout.js';
import { resolveListLimit } from '../contract-checks.js';
import { errorCode, toStorageError } from './fs-errors.js';

/** Name of a fan-out directory: a pair of lowercase hex digits. */
export const FAN_OUT_NAME = /^[0-9a-f]{2}$/;

/** Name of an object file: the 64 lowercase hex digits of its digest. */
export const OBJECT_NAME = /^[0-9a-f]{64}$/;

/**
 * Lists the objects under `objectDir` (`<root>/blake3`, in layout `version`) in digest order,
 * one page at a time. Directory names sort like the digests they prefix, so walking the fan-out
 * directories in sorted order yields sorted digests, and directories wholly before `after` are
 * skipped unread. Files with other names are ignored, and so are objects deleted while the walk
 * runs.
 */
export async function listObjectFiles(
  objectDir: string,
  options: ListOptions,
  version: LayoutVersion,
): Promise<ListPage> {
  const limit = resolveListLimit(options.limit);
  const afterHex = options.after === undefined ? '' : digestHex(options.after);
  const items: ListPage['items'] = [];
  for await (const item of walkObjects(objectDir, afterHex, version)) {
    items.push(item);
    // One item past the page proves that a next page exists.
    if (items.length > limit) {
      items.pop();
      return { items, next: items[items.length - 1]?.digest };
    }
  }
  return { items };
}

async function* walkObjects(
  objectDir: string,
  afterHex: string,
  version: LayoutVersion,
): AsyncGenerator<{ digest: Digest; size: number }> {
  for (const first of await sortedNames(objectDir, FAN_OUT_NAME)) {
    if (first < afterHex.slice(0, 2)) continue;
    const firstDir = join(objectDir, first);
    if (version === 2) {
      yield* objectsIn(firstDir, first, afterHex);
      continue;
    }
    for (const second of await sortedNames(firstDir, FAN_OUT_NAME)) {
      if (first + second < afterHex.slice(0, 4)) continue;
      yield* objectsIn(join(firstDir, second), first + second, afterHex);
    }
  }
}

/** Yields the objects in one leaf directory whose digests start with `prefix`, after `afterHex`. */
async function* objectsIn(
  dir: string,
  prefix: string,
  afterHex: string,
): AsyncGenerator<{ digest: Digest; size: number }> {
  for (const name of await sortedNames(dir, OBJECT_NAME)) {
    if (name <= afterHex || !name.startsWith(prefix)) continue;
    const size = await sizeOf(join(dir, name));
    if (size !== null) yield { digest: formatDigest(name), size };
  }
}

/**
 * Returns the names in `dir` that match `pattern`, sorted. A missing `dir`, or a file where a
 * directory was expected, has no names.
 */
export async function sortedNames(dir: string, pattern: RegExp): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names.filter((name) => pattern.test(name)).sort();
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return [];
    throw toStorageError(err, 'list directory', dir);
  }
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw toStorageError(err, 'stat object', path);
  }
}
