import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/config.js';
import { isStoreError } from '../../errors/store-error.js';
import { digestOf } from '../../identity/hasher.js';
import { type BackendFixture, runBackendConformance } from '../conformance/backend-conformance.js';
import { S3Backend, type S3BackendOptions } from './s3-backend.js';
import { classifyS3Error, toS3StoreError } from './s3-errors.js';
import { startTestS3Server, type TestS3Server } from './s3rver-test-server.js';

const REAL_ENDPOINT_VARIABLES = [
  'ARTIFACTSTORE_TEST_S3_ENDPOINT',
  'ARTIFACTSTORE_TEST_S3_BUCKET',
  'ARTIFACTSTORE_TEST_S3_ACCESS_KEY_ID',
  'ARTIFACTSTORE_TEST_S3_SECRET_ACCESS_KEY',
  'ARTIFACTSTORE_TEST_S3_REGION',
];

/** S3 settings for one fixture: a fresh key prefix in a shared bucket. */
function fixtureConfig(server: Omit<TestS3Server, 'close' | 'directory'>): S3Config {
  return {
    endpoint: server.endpoint,
    region: server.region,
    bucket: server.bucket,
    prefix: `conformance-${randomUUID()}/`,
    forcePathStyle: true,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  };
}

function adminClient(config: S3Config): S3Client {
  return new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId!, secretAccessKey: config.secretAccessKey! },
  });
}

async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const command = new ListObjectsV2Command({
      Bucket: bucket,
      Prefix: prefix,
      ContinuationToken: token,
    });
    const page = await client.send(command);
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

async function listUploads(client: S3Client, bucket: string, prefix: string) {
  const page = await client.send(
    new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }),
  );
  return page.Uploads ?? [];
}

async function makeS3Fixture(
  server: Omit<TestS3Server, 'close' | 'directory'>,
  options: Partial<S3BackendOptions> = {},
): Promise<BackendFixture & { config: S3Config; admin: S3Client }> {
  const config = fixtureConfig(server);
  const admin = adminClient(config);
  const backends = [new S3Backend({ ...config, ...options })];
  await backends[0]!.init();
  const { bucket, prefix } = config;
  return {
    config,
    admin,
    backend: backends[0]!,
    leftovers: async () => {
      const staging = await listKeys(admin, bucket, `${prefix}staging/`);
      const uploads = await listUploads(admin, bucket, prefix);
      return [...staging, ...uploads.map((upload) => `multipart upload of ${upload.Key}`)];
    },
    plantLeftovers: async () => {
      const key = `${prefix}staging/interrupted`;
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'half' }));
      const created = await admin.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${key}-multipart` }),
      );
      await admin.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: `${key}-multipart`,
          UploadId: created.UploadId,
          PartNumber: 1,
          Body: randomBytes(1024),
        }),
      );
    },
    reopen: async () => {
      // A negative age moves the cutoff a minute ahead, so that leftovers count as stale even
      // when the server's clock runs ahead of this one.
      const restarted = new S3Backend({ ...config, ...options, staleUploadAgeMs: -60_000 });
      backends.push(restarted);
      await restarted.init();
      return restarted;
    },
    dispose: async () => {
      for (const upload of await listUploads(admin, bucket, prefix)) {
        const abort = { Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId };
        await admin.send(new AbortMultipartUploadCommand(abort));
      }
      for (const key of await listKeys(admin, bucket, prefix)) {
        await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      }
      for (const backend of backends) await backend.close();
      admin.destroy();
    },
  };
}

describe('S3Backend on s3rver', () => {
  let server: TestS3Server;

  before(async () => {
    server = await startTestS3Server();
  });
  after(() => server.close());

  runBackendConformance('S3Backend on s3rver', () => makeS3Fixture(server));

  describe('S3Backend', () => {
    let fixture: Awaited<ReturnType<typeof makeS3Fixture>>;

    beforeEach(async () => {
      fixture = await makeS3Fixture(server, {
        multipartCopyThreshold: 5 * 1024 * 1024,
        copyPartSize: 5 * 1024 * 1024,
      });
    });
    afterEach(() => fixture.dispose());

    it('copies large objects part by part', async () => {
      const bytes = randomBytes(12 * 1024 * 1024 + 7);
      const result = await fixture.backend.put(Readable.from([bytes]));
      assert.equal(result.created, true);
      const read = await buffer(await fixture.backend.open(result.digest));
      assert.ok(read.equals(bytes), 'multipart copy kept every byte');
      assert.deepEqual(await fixture.leftovers(), []);
    });

    it('stores objects under the prefix and layout', async () => {
      const { digest } = await fixture.backend.put(Readable.from([Buffer.from('layout')]));
      const hex = digest.slice('blake3:'.length);
      const keys = await listKeys(fixture.admin, server.bucket, fixture.config.prefix);
      const expected = `${fixture.config.prefix}blake3/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
      assert.deepEqual(keys, [expected]);
    });

    it('init keeps leftovers younger than the stale age', async () => {
      await fixture.plantLeftovers();
      const before = await fixture.leftovers();
      await new S3Backend(fixture.config).init();
      assert.deepEqual(await fixture.leftovers(), before);
    });

    it('capabilities', () => {
      assert.deepEqual(fixture.backend.capabilities, {
        rangeReads: true,
        presignedUrls: true,
        maxConcurrency: 16,
      });
      assert.equal(fixture.backend.name, 's3');
    });

    it('missing bucket is a permanent error naming the bucket', async () => {
      const backend = new S3Backend({ ...fixture.config, bucket: 'no-such-bucket-here' });
      try {
        const put = backend.put(Readable.from([Buffer.from('x')]));
        await assert.rejects(put, (err: unknown) => {
          assert.ok(isStoreError(err, 'STORAGE_ERROR'), `got ${String(err)}`);
          assert.match(err.message, /no-such-bucket-here/);
          assert.equal(err.details.retryable, false);
          return true;
        });
        const report = await backend.health();
        assert.equal(report.ok, false);
        assert.match(report.detail ?? '', /no-such-bucket-here/);
      } finally {
        await backend.close();
      }
    });

    it('unknown access key is a permanent error', async () => {
      const secret = `secret-${randomUUID()}`;
      const backend = new S3Backend({
        ...fixture.config,
        accessKeyId: 'UNKNOWNKEY',
        secretAccessKey: secret,
      });
      try {
        await assert.rejects(backend.put(Readable.from([Buffer.from('x')])), (err: unknown) => {
          assert.ok(isStoreError(err, 'STORAGE_ERROR'), `got ${String(err)}`);
          assert.match(err.message, new RegExp(`bucket "${server.bucket}"`));
          assert.ok(!err.message.includes(secret), err.message);
          assert.equal(err.details.retryable, false);
          return true;
        });
        assert.equal((await backend.health()).ok, false);
      } finally {
        await backend.close();
      }
    });

    it('unreachable endpoint is retryable', async () => {
      const port = await closedPort();
      const backend = new S3Backend({ ...fixture.config, endpoint: `http://127.0.0.1:${port}` });
      try {
        await assert.rejects(backend.stat(digestOf('x')), (err: unknown) => {
          assert.ok(isStoreError(err, 'STORAGE_UNAVAILABLE'), `got ${String(err)}`);
          assert.equal(err.details.retryable, true);
          assert.match(err.message, new RegExp(server.bucket));
          return true;
        });
        assert.equal((await backend.health()).ok, false);
      } finally {
        await backend.close();
      }
    });
  });
});

describe('toS3StoreError', () => {
  it('masks secrets in the message', () => {
    const secret = 'abcdefSECRET123';
    const cause = Object.assign(new Error(`signature for ${secret} does not match`), {
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    const target = { operation: 'PutObject', bucket: 'b1', key: 'k1', secrets: [secret] };
    const err = toS3StoreError(cause, target);
    assert.equal(err.code, 'STORAGE_ERROR');
    assert.ok(!err.message.includes(secret), err.message);
    assert.match(
      err.message,
      /S3 PutObject failed for bucket "b1" key "k1": SignatureDoesNotMatch/,
    );
  });

  it('retryable errors become STORAGE_UNAVAILABLE', () => {
    const cause = Object.assign(new Error('slow down'), { name: 'SlowDown' });
    const err = toS3StoreError(cause, { operation: 'UploadPart', bucket: 'b1' });
    assert.equal(err.code, 'STORAGE_UNAVAILABLE');
    assert.equal(err.httpStatus, 503);
    assert.equal(err.cause, cause);
  });
});

describe('classifyS3Error', () => {
  const sdkError = (name: string, status: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

  it('missing key is not-found', () => {
    assert.equal(classifyS3Error(sdkError('NoSuchKey', 404)), 'not-found');
    assert.equal(classifyS3Error(sdkError('NotFound', 404)), 'not-found');
  });

  it('missing bucket is permanent', () => {
    assert.equal(classifyS3Error(sdkError('NoSuchBucket', 404)), 'permanent');
  });

  it('throttling and server errors are retryable', () => {
    assert.equal(classifyS3Error(sdkError('SlowDown', 503)), 'retryable');
    assert.equal(classifyS3Error(sdkError('InternalError', 500)), 'retryable');
    assert.equal(
      classifyS3Error(Object.assign(new Error('reset'), { code: 'ECONNRESET' })),
      'retryable',
    );
  });

  it('access denied is permanent', () => {
    assert.equal(classifyS3Error(sdkError('AccessDenied', 403)), 'permanent');
  });
});

const realEndpointMissing = REAL_ENDPOINT_VARIABLES.filter((name) => !process.env[name]);

describe('S3Backend on ARTIFACTSTORE_TEST_S3_ENDPOINT', {
  skip:
    realEndpointMissing.length > 0 &&
    `set ${REAL_ENDPOINT_VARIABLES.join(', ')} to run against a real S3 endpoint`,
}, () => {
  const env = process.env;
  const server = {
    endpoint: env.ARTIFACTSTORE_TEST_S3_ENDPOINT ?? '',
    bucket: env.ARTIFACTSTORE_TEST_S3_BUCKET ?? '',
    region: env.ARTIFACTSTORE_TEST_S3_REGION ?? '',
    accessKeyId: env.ARTIFACTSTORE_TEST_S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.ARTIFACTSTORE_TEST_S3_SECRET_ACCESS_KEY ?? '',
  };
  runBackendConformance('S3Backend on a real endpoint', () => makeS3Fixture(server));
});

/** Returns a port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  assert.ok(address !== null, 'probe server has an address');
  assert.equal(typeof address, 'object');
  return (address as { port: number }).port;
}
