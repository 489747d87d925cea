import { type Digest, digestHex } from '../identity/digest.js';

/**
 * Key layout shared by every backend (version 1):
 *
 *   blake3/ab/cd/abcd…(64 hex)   committed objects, fanned out by the first two hex pairs
 *   tmp/<0-f>/<random>           local backend: in-progress writes, removed at start-up
 *   staging/<random>             S3 backend: uploads not yet verified, removed at start-up
 *
 * Only `objectKey` maps a digest to a key; nothing else builds object keys.
 */
export const LAYOUT_VERSION = 1;

/** Returns the backend-relative key of a committed object. */
export function objectKey(digest: Digest): string {
  const hex = digestHex(digest);
  return `blake3/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
}

/** Prefix under which committed objects live. */
export const OBJECT_PREFIX = 'blake3/';

/** Prefix of in-progress writes of the local backend. */
export const TEMP_PREFIX = 'tmp/';

/** Prefix of unverified uploads of the S3 backend. */
export const STAGING_PREFIX = 'staging/';
