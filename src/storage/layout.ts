import { type Digest, digestHex } from '../identity/digest.js';

/**
 * Key layouts of committed objects. Both keep objects under `blake3/`, fanned out by the first
 * hex pair of the digest:
 *
 *   version 1   blake3/ab/cd/abcd…(64 hex)   two levels; every S3 prefix, and local stores
 *                                            created before version 2
 *   version 2   blake3/ab/abcd…(64 hex)      one level; local stores created since
 *
 * Other keys:
 *
 *   tmp/<0-f>/<random>   local backend: in-progress writes, removed at start-up
 *   staging/<random>     S3 backend: uploads not yet verified, removed at start-up
 *   layout-version       local backend: the layout version of the root, as a decimal line
 *
 * On a filesystem the second level costs a new directory, and two more fsyncs, for most new
 * objects until the store contains hundreds of thousands of them. S3 has no directories, so its
 * keys stay at version 1. Only `objectKey` maps a digest to a key; nothing else builds object keys.
 */
export type LayoutVersion = 1 | 2;

/** Layout version of every S3 prefix. */
export const S3_LAYOUT_VERSION: LayoutVersion = 1;

/** Layout version of a new local store. */
export const NEW_LOCAL_LAYOUT_VERSION: LayoutVersion = 2;

/** Returns the backend-relative key of a committed object in layout `version`. */
export function objectKey(digest: Digest, version: LayoutVersion): string {
  const hex = digestHex(digest);
  if (version === 2) return `blake3/${hex.slice(0, 2)}/${hex}`;
  return `blake3/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
}

/** Prefix under which committed objects live. */
export const OBJECT_PREFIX = 'blake3/';

/** Prefix of in-progress writes of the local backend. */
export const TEMP_PREFIX = 'tmp/';

/** Prefix of unverified uploads of the S3 backend. */
export const STAGING_PREFIX = 'staging/';

/** Name of the file at the root of a local store that records its layout version. */
export const LAYOUT_VERSION_FILE = 'layout-version';
