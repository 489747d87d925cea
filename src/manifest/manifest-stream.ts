import { encode, rfc8949EncodeOptions } from 'cborg';
import { StoreError } from '../errors/store-error.js';
import { CBOR_ARRAY, CBOR_MAP, encodeHead } from './cbor-head.js';
import {
  type ManifestFile,
  type ManifestPackage,
  toManifestFile,
  toManifestPackage,
} from './manifest.js';
import {
  checkFileOrder,
  MANIFEST_SCHEMA,
  validateManifestFile,
  validateManifestPackage,
} from './manifest-schema.js';

/** Encoded file entries gathered into one chunk before it is yielded, in bytes. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Encodes a manifest to the same bytes as `encodeManifest(buildManifest(pkg, files))`, yielding
 * them in chunks of about 64 KiB, so memory stays flat however many files the package has.
 *
 * The core deterministic encoding of RFC 8949 sorts map keys by their encoded bytes, so shorter
 * keys come first: "files", then "schema", then "package". The files array therefore comes first
 * and each entry can be encoded as it arrives, after a head that states the entry count.
 *
 * `files` must yield exactly `fileCount` entries, sorted by `comparePaths`. The package and every
 * entry get the checks of `validateManifest`, the package before the first byte is yielded.
 *
 * @throws StoreError INVALID_MANIFEST naming the field at fault, when the package or an entry
 *   breaks the schema, an entry is out of order or repeats a path, or `files` yields another
 *   number of entries than `fileCount`. The bytes yielded before the error are not a manifest, so
 *   the consumer must discard them.
 */
export async function* encodeManifestStream(
  pkg: ManifestPackage,
  fileCount: number,
  files: AsyncIterable<ManifestFile> | Iterable<ManifestFile>,
): AsyncGenerator<Buffer> {
  const manifestPackage = validateManifestPackage(toManifestPackage(pkg));
  yield Buffer.concat([
    encodeHead(CBOR_MAP, 3),
    encode('files', rfc8949EncodeOptions),
    encodeHead(CBOR_ARRAY, fileCount),
  ]);

  let chunk: Uint8Array[] = [];
  let chunkBytes = 0;
  let index = 0;
  let previousPath: string | undefined;
  for await (const item of files) {
    if (index === fileCount) throw fileCountMismatch(fileCount, 'more');
    const file = validateManifestFile(toManifestFile(item), index);
    if (previousPath !== undefined) checkFileOrder(previousPath, file.path, index);
    previousPath = file.path;
    index++;

    const entry = encode(file, rfc8949EncodeOptions);
    chunk.push(entry);
    chunkBytes += entry.length;
    if (chunkBytes >= CHUNK_BYTES) {
      yield Buffer.concat(chunk, chunkBytes);
      chunk = [];
      chunkBytes = 0;
    }
  }
  if (index !== fileCount) throw fileCountMismatch(fileCount, `only ${index}`);

  chunk.push(
    encode('schema', rfc8949EncodeOptions),
    encode(MANIFEST_SCHEMA, rfc8949EncodeOptions),
    encode('package', rfc8949EncodeOptions),
    encode(manifestPackage, rfc8949EncodeOptions),
  );
  yield Buffer.concat(chunk);
}

function fileCountMismatch(fileCount: number, found: string): StoreError {
  return new StoreError(
    'INVALID_MANIFEST',
    `invalid manifest field files: expected ${fileCount} entries, as the array head ` +
      `states, but got ${found}; pass the number of files that the iterable yields`,
    { field: 'files', fileCount },
  );
}
