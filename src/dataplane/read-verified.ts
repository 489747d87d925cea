import type { Readable } from 'node:stream';
import { StoreError } from '../errors/store-error.js';
import type { Digest } from '../identity/digest.js';
import { ContentHasher } from '../identity/hasher.js';

/**
 * Reads a small object (a manifest) whole and checks that its bytes hash to `digest`. Raises
 * INTEGRITY_ERROR naming both digests when the stored bytes were altered.
 */
export async function readVerified(stream: Readable, digest: Digest, key: string): Promise<Buffer> {
  const hasher = new ContentHasher();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    hasher.update(chunk as Buffer);
    chunks.push(chunk as Buffer);
  }
  const actual = hasher.digest();
  if (actual !== digest) {
    throw new StoreError(
      'INTEGRITY_ERROR',
      `stored object ${key} is corrupt: expected ${digest}, read bytes that hash to ${actual}`,
      { expected: digest, actual, key },
    );
  }
  return Buffer.concat(chunks);
}
