import { Transform } from 'node:stream';
import { StoreError } from '../errors/store-error.js';

/** A file about to be read for upload, with the size found when its directory was listed. */
export interface SizedFile {
  /** Path on disk, named in the error. */
  absolute: string;
  /** Size in bytes that the upload declares. */
  size: number;
}

/**
 * Builds the error for a file that changed size. `received` counts the bytes read so far, which
 * for a file that grew is only a lower bound of its size.
 */
function sizeChanged(file: SizedFile, received: number): StoreError {
  const read = received > file.size ? `at least ${received}` : `only ${received}`;
  return new StoreError(
    'SIZE_MISMATCH',
    `${file.absolute} changed size while it was read for upload: expected ${file.size} bytes, as listed before the upload, but read ${read}; push again once the file no longer changes`,
    { file: file.absolute, expected: file.size, actual: received },
  );
}

/**
 * Creates a pass-through stream that checks that a file read from disk has the declared size,
 * so that an upload never declares one size and sends another. It fails with SIZE_MISMATCH
 * before it passes on a byte beyond `size`, and at the end when fewer bytes arrived.
 *
 * The chunk that completes `size` is passed on only when the source ends. A receiver that got
 * every declared byte could store the file before it learns that the file grew, so it must
 * never get the whole body of a file that grew. `onBytes` receives the length of each chunk
 * passed on.
 */
export function createSizeCheck(
  file: SizedFile,
  onBytes: (bytes: number) => void = () => {},
): Transform {
  let received = 0;
  let finalChunk: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (chunk.byteLength === 0) return callback();
      received += chunk.byteLength;
      if (received > file.size) return callback(sizeChanged(file, received));
      if (received === file.size) {
        finalChunk = chunk;
        return callback();
      }
      onBytes(chunk.byteLength);
      callback(null, chunk);
    },
    flush(callback) {
      if (received < file.size) return callback(sizeChanged(file, received));
      if (finalChunk !== undefined) onBytes(finalChunk.byteLength);
      callback(null, finalChunk);
    },
  });
}
