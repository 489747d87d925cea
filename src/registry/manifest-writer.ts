import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Digest } from '../identity/digest.js';
import type { ManifestFile, ManifestPackage } from '../manifest/manifest.js';
import { encodeManifestStream } from '../manifest/manifest-stream.js';
import type { PutResult, StorageBackend } from '../storage/backend.js';

/** File rows read per query while the manifest is encoded. */
const PAGE_ROWS = 1000;

/**
 * Encodes the manifest of package `pkg` from its file rows and stores it with `backend`. Returns
 * once the manifest object is durable. Rows are read in pages, in path order, inside `trx`, so
 * memory stays flat however many files the package has.
 *
 * @throws StoreError INVALID_MANIFEST when a package field or a file row breaks the manifest
 *   schema, and any error of the page queries or of `backend.put`. No manifest object is stored
 *   then.
 */
export async function storeManifest(
  trx: Kysely<Database>,
  backend: StorageBackend,
  pkg: ManifestPackage,
): Promise<PutResult> {
  const { count } = await trx
    .selectFrom('artifact_files')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('package_id', '=', pkg.id)
    .executeTakeFirstOrThrow();
  const bytes = encodeManifestStream(pkg, Number(count), filesInPathOrder(trx, pkg.id));

  // A backend may replace an error of its source with its own (the local one reports
  // UPLOAD_ABORTED), so the original is rethrown. It is an INVALID_MANIFEST naming the field at
  // fault, or a database error that the write batcher must classify to retry or roll back.
  let sourceError: unknown;
  const source = Readable.from(
    (async function* () {
      try {
        yield* bytes;
      } catch (err) {
        sourceError = err;
        throw err;
      }
    })(),
  );
  try {
    return await backend.put(source);
  } catch (err) {
    throw sourceError ?? err;
  }
}

/**
 * Yields the files of a package sorted by path, a page at a time (keyset pagination). Paths
 * compare bytewise in both databases (see the initial migration), and UTF-8 byte order is the
 * code point order of `comparePaths`, which the manifest requires. Should a database return
 * another order, the encoder rejects the rows as unsorted rather than write another manifest.
 */
async function* filesInPathOrder(
  trx: Kysely<Database>,
  packageId: string,
): AsyncGenerator<ManifestFile> {
  let after: string | undefined;
  for (;;) {
    let query = trx
      .selectFrom('artifact_files')
      .select(['path', 'digest', 'size', 'media_type'])
      .where('package_id', '=', packageId);
    if (after !== undefined) query = query.where('path', '>', after);
    const rows = await query.orderBy('path').limit(PAGE_ROWS).execute();

    for (const row of rows) {
      yield {
        path: row.path,
        digest: row.digest as Digest,
        size: Number(row.size),
        mediaType: row.media_type,
      };
    }
    if (rows.length < PAGE_ROWS) return;
    after = rows.at(-1)!.path;
  }
}
