import assert from 'node:assert/strict';
import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { isStoreError } from '../../src/errors/store-error.js';
import type { Digest } from '../../src/identity/digest.js';
import { ContentHasher } from '../../src/identity/hasher.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import type { Registry } from '../../src/registry/registry.js';
import { NEW_LOCAL_LAYOUT_VERSION, objectKey } from '../../src/storage/layout.js';
import { type TestS3Server, startTestS3Server } from '../../src/storage/s3/s3rver-test-server.js';
import { dumpTables } from '../support/dump-views.js';
import { type TestStore, createTestStore } from '../support/test-store.js';

const actor = 'copier';

async function hashStream(stream: Readable): Promise<Digest> {
  const hasher = new ContentHasher();
  for await (const chunk of stream) hasher.update(chunk as Buffer);
  return hasher.digest();
}

function s3Env(s3: TestS3Server): Record<string, string> {
  return {
    ARTIFACTSTORE_S3_ENDPOINT: s3.endpoint,
    ARTIFACTSTORE_S3_BUCKET: s3.bucket,
    ARTIFACTSTORE_S3_REGION: s3.region,
    ARTIFACTSTORE_S3_ACCESS_KEY_ID: s3.accessKeyId,
    ARTIFACTSTORE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
}

describe('storage copy between backends', () => {
  let s3: TestS3Server;
  let store: TestStore;
  let registry: Registry;
  const files: Array<{ packageId: string; path: string; digest: Digest }> = [];

  before(async () => {
    s3 = await startTestS3Server();
    store = await createTestStore('sqlite', {
      ...s3Env(s3),
      ARTIFACTSTORE_STORAGE_BACKEND: 'local',
      ARTIFACTSTORE_STORAGE_BACKENDS: 'local,s3',
    });
    registry = await store.open();
    for (let p = 0; p < 3; p++) {
      const pkg = await registry.createPackage({
        name: `p${p}`,
        producer: 'x',
        subject: 'y',
        actor,
      });
      for (let f = 0; f < 5; f++) {
        const bytes = Buffer.from(`package ${p} file ${f} `.repeat(100 * (f + 1)));
        const file = await registry.ingestFile({
          packageId: pkg.id,
          path: `f${f}.txt`,
          body: Readable.from([bytes]),
          actor,
        });
        files.push({ packageId: pkg.id, path: file.path, digest: file.digest });
      }
      await registry.finalize({ packageId: pkg.id, actor });
    }
  });

  after(async () => {
    await registry?.close();
    await store?.cleanup();
    await s3?.close();
  });

  it('rejects a backend that is not configured', async () => {
    await assert.rejects(registry.copyObjects({ to: 'tape', actor }), (err: unknown) =>
      isStoreError(err, 'INVALID_ARGUMENT'),
    );
  });

  it('copies every object once and records it', async () => {
    const progress: number[] = [];
    const report = await registry.copyObjects({
      to: 's3',
      actor,
      onProgress: (r) => progress.push(r.copied),
    });
    assert.equal(report.total, 15 + 3);
    assert.equal(report.copied, 18);
    assert.deepEqual(report.failed, []);
    assert.ok(progress.length > 1);
    const again = await registry.copyObjects({ to: 's3', actor });
    assert.equal(again.total, 0);
    assert.equal(again.copied, 0);
    for (const file of files) {
      assert.deepEqual((await registry.locationsOf(file.digest)).sort(), ['local', 's3']);
    }
  });

  it('replay keeps the recorded copies', async () => {
    const before = await dumpTables(registry.database.db);
    await registry.replay();
    assert.equal(await dumpTables(registry.database.db), before);
  });

  it('falls back to another location when the object is gone locally', async () => {
    const [file] = files;
    assert.ok(file);
    const localPath = join(
      store.config.storage.localRoot,
      objectKey(file.digest, NEW_LOCAL_LAYOUT_VERSION),
    );
    await chmod(localPath, 0o644);
    await rm(localPath);
    const opened = await registry.openFile(file.packageId, file.path);
    assert.equal(await hashStream(opened.stream), file.digest);
  });

  it('reads everything with the local backend removed from configuration', async () => {
    const s3Only = await openRegistry(
      loadConfig({
        ...store.env,
        ARTIFACTSTORE_STORAGE_BACKEND: 's3',
        ARTIFACTSTORE_STORAGE_BACKENDS: 's3',
      }),
    );
    try {
      for (const file of files) {
        const opened = await s3Only.openFile(file.packageId, file.path);
        assert.equal(await hashStream(opened.stream), file.digest, file.path);
      }
      for (const pkg of (await s3Only.listPackages()).items) {
        const manifest = await s3Only.getManifest(pkg.id, 'cbor');
        assert.equal(manifest.digest, pkg.manifestDigest);
      }
    } finally {
      await s3Only.close();
    }
  });
});
