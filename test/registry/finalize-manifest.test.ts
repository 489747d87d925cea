import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isStoreError, StoreError } from '../../src/errors/store-error.js';
import { digestOf } from '../../src/identity/hasher.js';
import { decodeManifest, encodeManifest } from '../../src/manifest/cbor-codec.js';
import { buildManifest, comparePaths } from '../../src/manifest/manifest.js';
import { storeManifest } from '../../src/registry/manifest-writer.js';
import type { FileRecord } from '../../src/registry/records.js';
import type { Registry } from '../../src/registry/registry.js';
import type { StorageBackend } from '../../src/storage/backend.js';
import { dumpTables } from '../support/dump-views.js';
import { listTempFiles } from '../support/temp-files.js';
import { TEST_DATABASES, type TestStore, createTestStore } from '../support/test-store.js';

const actor = 'tester';

/** More than two pages of the rows that finalize reads per query. */
const FILE_COUNT = 2500;

/** Path prefixes whose UTF-16 order differs from their code point order in places. */
const PREFIXES = ['bin', 'B', 'caf\u00e9', '\ue000', '\uff5e', '\u{10000}', '\u{1f600}'];

const METADATA = {
  commit: 'abc123',
  build: { number: 42, ratio: 0.25, tags: ['nightly', '\u{1f600}'], nested: { empty: {} } },
};

for (const database of TEST_DATABASES) {
  describe(`finalize manifest on ${database.kind}`, { skip: database.skip }, () => {
    let store: TestStore;
    let registry: Registry;

    before(async () => {
      store = await createTestStore(database.kind);
      registry = await store.open();
    });

    after(async () => {
      await registry?.close();
      await store?.cleanup();
    });

    async function packageWithFiles(count: number) {
      const pkg = await registry.createPackage({
        name: 'many',
        producer: 'ci',
        subject: 'app@1',
        metadata: METADATA,
        actor,
      });
      const paths = Array.from(
        { length: count },
        (_unused, index) => `${PREFIXES[index % PREFIXES.length]}/f${index}`,
      );
      // Concurrent uploads share commits, which keeps thousands of files quick to add.
      for (let start = 0; start < count; start += 64) {
        await Promise.all(
          paths.slice(start, start + 64).map((path) =>
            registry.ingestFile({
              packageId: pkg.id,
              path,
              body: Readable.from([Buffer.from(`body of ${path}`)]),
              actor,
            }),
          ),
        );
      }
      return pkg;
    }

    async function listAllFiles(packageId: string): Promise<FileRecord[]> {
      const files: FileRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await registry.listFiles(packageId, { cursor, limit: 1000 });
        files.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      return files;
    }

    it('matches the whole-manifest encoding', async () => {
      const pkg = await packageWithFiles(FILE_COUNT);
      const { manifestDigest, package: finalized } = await registry.finalize({
        packageId: pkg.id,
        actor,
      });
      assert.equal(finalized.fileCount, FILE_COUNT);

      const files = await listAllFiles(pkg.id);
      assert.equal(files.length, FILE_COUNT);
      const expected = encodeManifest(
        buildManifest(
          { ...finalized, finalizedAt: finalized.finalizedAt!, finalizedBy: actor },
          [...files].reverse(),
        ),
      );
      assert.equal(manifestDigest, digestOf(expected));

      const stored = await registry.getManifest(pkg.id, 'cbor');
      assert.deepEqual(stored.bytes, Buffer.from(expected));
      const paths = decodeManifest(stored.bytes).files.map((file) => file.path);
      assert.deepEqual(paths, [...paths].sort(comparePaths));
      assert.notDeepEqual(paths, [...paths].sort(), 'paths include UTF-16 order differences');
    });

    it('matches for a package without files', async () => {
      const pkg = await packageWithFiles(0);
      const { manifestDigest, package: finalized } = await registry.finalize({
        packageId: pkg.id,
        actor,
      });
      const expected = encodeManifest(
        buildManifest(
          { ...finalized, finalizedAt: finalized.finalizedAt!, finalizedBy: actor },
          [],
        ),
      );
      assert.equal(manifestDigest, digestOf(expected));
    });

    it('rejects an invalid file row and stores nothing', async () => {
      const pkg = await packageWithFiles(1100);
      const files = await listAllFiles(pkg.id);
      // A row that no upload can produce, past the first page and the first chunk of bytes.
      const broken = files[1050]!;
      await registry.database.db
        .updateTable('artifact_files')
        .set({ media_type: '' })
        .where('package_id', '=', pkg.id)
        .where('path', '=', broken.path)
        .execute();
      const tables = await dumpTables(registry.database.db, true);
      const objects = await registry.backend.list({ limit: 10_000 });

      await assert.rejects(registry.finalize({ packageId: pkg.id, actor }), (err) => {
        assert.ok(isStoreError(err, 'INVALID_MANIFEST'), `expected INVALID_MANIFEST, got ${err}`);
        assert.equal(err.details.field, 'files[1050].mediaType');
        return true;
      });

      assert.equal(await dumpTables(registry.database.db, true), tables);
      assert.deepEqual(await registry.backend.list({ limit: 10_000 }), objects);
      assert.deepEqual(await listTempFiles(store.config.storage.localRoot), []);
      assert.equal((await registry.getPackage(pkg.id)).state, 'open');
    });

    it('reports the source error over the backend error', async () => {
      const pkg = await packageWithFiles(3);
      await registry.database.db
        .updateTable('artifact_files')
        .set({ size: -1 })
        .where('package_id', '=', pkg.id)
        .where('path', '=', (await listAllFiles(pkg.id))[2]!.path)
        .execute();
      const primary = registry.backend;
      // Wraps every failed put in a STORAGE_ERROR of its own.
      const wrapping = {
        name: primary.name,
        async put(source: Readable) {
          try {
            return await primary.put(source);
          } catch (err) {
            throw new StoreError('STORAGE_ERROR', 'put failed', {}, err);
          }
        },
      } as StorageBackend;
      const manifestPackage = {
        ...(await registry.getPackage(pkg.id)),
        finalizedAt: new Date().toISOString(),
        finalizedBy: actor,
      };

      await assert.rejects(
        storeManifest(registry.database.db, wrapping, manifestPackage),
        (err) => {
          assert.ok(isStoreError(err, 'INVALID_MANIFEST'), `expected INVALID_MANIFEST, got ${err}`);
          assert.equal(err.details.field, 'files[2].size');
          return true;
        },
      );
    });
  });
}
