import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../identity/digest.js';
import { HashingStream } from '../identity/hasher.js';

/** Computes the content address and size of a file on disk, reading it as a stream. */
export async function hashFile(
  path: string,
  signal?: AbortSignal,
): Promise<{ digest: Digest; size: number }> {
  const hashing = new HashingStream();
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  await pipeline(createReadStream(path), hashing, sink, { signal });
  return { digest: hashing.hasher.digest(), size: hashing.hasher.size };
}
