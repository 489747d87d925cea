import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { isStoreError } from '../errors/store-error.js';
import type { Digest } from '../identity/digest.js';
import type { StorageBackend } from '../storage/backend.js';

/** Objects examined per page while copying. */
const COPY_PAGE = 200;

/** Progress and outcome of a copy between backends. */
export interface CopyReport {
  /** Objects the target lacked when the copy started. */
  total: number;
  copied: number;
  bytes: number;
  /** Objects that could not be copied, with the error code (`STORAGE_ERROR` when it had none). */
  failed: Array<{ digest: string; code: string; error: string }>;
}

/** Dependencies of `copyMissingObjects`, supplied by the registry. */
export interface CopyDeps {
  db: Kysely<Database>;
  target: StorageBackend;
  /** Opens the object from a backend other than the target. */
  openSource(digest: Digest): Promise<Readable>;
  /** Records the verified copy in the target as an `object.located` event. */
  recordLocation(digest: Digest, size: number): Promise<void>;
  concurrency: number;
  signal?: AbortSignal;
  onProgress?(report: CopyReport): void;
}

function missingFrom(db: Kysely<Database>, target: string) {
  return db
    .selectFrom('storage_locations as s')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('storage_locations as t')
            .select('t.digest')
            .whereRef('t.digest', '=', 's.digest')
            .where('t.backend', '=', target),
        ),
      ),
    );
}

/**
 * Copies every recorded object that `target` lacks, verifying digest and size as the bytes
 * arrive, and records each copy. Resumable and idempotent: a second run copies only what the
 * first did not finish. A failed object is reported and skipped; the rest go on.
 */
export async function copyMissingObjects(deps: CopyDeps): Promise<CopyReport> {
  const { db, target } = deps;
  const counted = await missingFrom(db, target.name)
    .select((eb) => eb.fn.count<number>('s.digest').distinct().as('n'))
    .executeTakeFirstOrThrow();
  const report: CopyReport = { total: Number(counted.n), copied: 0, bytes: 0, failed: [] };
  deps.onProgress?.(report);

  let after = '';
  for (;;) {
    deps.signal?.throwIfAborted();
    const page = await missingFrom(db, target.name)
      .select(['s.digest', (eb) => eb.fn.max<number>('s.size').as('size')])
      .where('s.digest', '>', after)
      .groupBy('s.digest')
      .orderBy('s.digest')
      .limit(COPY_PAGE)
      .execute();
    if (page.length === 0) return report;
    after = page[page.length - 1]?.digest ?? after;
    await runBounded(page, deps.concurrency, async ({ digest, size }) => {
      deps.signal?.throwIfAborted();
      try {
        await copyOne(deps, digest as Digest, Number(size));
        report.copied++;
        report.bytes += Number(size);
      } catch (err) {
        if (deps.signal?.aborted) throw err;
        const code = isStoreError(err) ? err.code : 'STORAGE_ERROR';
        const error = err instanceof Error ? err.message : String(err);
        report.failed.push({ digest, code, error });
      }
      deps.onProgress?.(report);
    });
  }
}

async function copyOne(deps: CopyDeps, digest: Digest, size: number): Promise<void> {
  const source = await deps.openSource(digest);
  await deps.target.put(source, {
    expectedDigest: digest,
    expectedSize: size,
    signal: deps.signal,
  });
  await deps.recordLocation(digest, size);
}

async function runBounded<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}
