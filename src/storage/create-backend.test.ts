import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/config.js';
import { isStoreError } from '../errors/store-error.js';
import { createBackend } from './create-backend.js';
import { LocalBackend } from './local/local-backend.js';
import { S3Backend } from './s3/s3-backend.js';

describe('createBackend', () => {
  it('local by default', async () => {
    const root = join(tmpdir(), 'artifactstore-create-backend');
    const backend = await createBackend(loadConfig({ ARTIFACTSTORE_STORAGE_LOCAL_ROOT: root }));
    assert.ok(backend instanceof LocalBackend);
    assert.equal(backend.name, 'local');
    await backend.close();
  });

  it('s3 when configured', async () => {
    const config = loadConfig({
      ARTIFACTSTORE_STORAGE_BACKEND: 's3',
      ARTIFACTSTORE_S3_BUCKET: 'artifacts',
      ARTIFACTSTORE_S3_ENDPOINT: 'http://127.0.0.1:9',
    });
    const backend = await createBackend(config);
    assert.ok(backend instanceof S3Backend);
    assert.equal(backend.name, 's3');
    assert.equal(backend.capabilities.rangeReads, true);
    await backend.close();
  });

  it('s3 without a bucket', async () => {
    const config = loadConfig({});
    const broken = { ...config, storage: { ...config.storage, backend: 's3' as const } };
    await assert.rejects(createBackend(broken), (err: unknown) =>
      isStoreError(err, 'INVALID_CONFIG'),
    );
  });
});
