import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { digestOf } from '../../src/identity/hasher.js';
import { type TestS3Server, startTestS3Server } from '../../src/storage/s3/s3rver-test-server.js';
import { TEST_DATABASES } from '../support/test-store.js';
import { HttpHarness } from './http-harness.js';

const CONTENT = randomBytes(256 * 1024);
const DIGEST = digestOf(CONTENT);
const EXPIRES_SECONDS = 120;

function s3Env(s3: TestS3Server): Record<string, string> {
  return {
    ARTIFACTSTORE_S3_ENDPOINT: s3.endpoint,
    ARTIFACTSTORE_S3_BUCKET: s3.bucket,
    ARTIFACTSTORE_S3_REGION: s3.region,
    ARTIFACTSTORE_S3_ACCESS_KEY_ID: s3.accessKeyId,
    ARTIFACTSTORE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    ARTIFACTSTORE_STORAGE_BACKEND: 's3',
  };
}

/** Fetches a presigned URL with undici and returns status and body. */
async function fetchPresigned(url: string): Promise<{ status: number; body: Buffer }> {
  const response = await request(url);
  return { status: response.statusCode, body: Buffer.from(await response.body.arrayBuffer()) };
}

/** Starts a harness on S3 storage and uploads CONTENT; returns the file URL path. */
async function startWithFile(
  kind: (typeof TEST_DATABASES)[number]['kind'],
  env: Record<string, string>,
): Promise<{ http: HttpHarness; fileUrl: string }> {
  const http = await HttpHarness.start(kind, env);
  const pkg = await http.createPackage();
  const fileUrl = `/v1/packages/${pkg.id}/files/data/blob.bin`;
  const put = await http.request('PUT', fileUrl, { body: CONTENT });
  assert.equal(put.status, 201, put.body.toString());
  return { http, fileUrl };
}

for (const database of TEST_DATABASES) {
  describe(`HTTP presigned downloads on ${database.kind}`, { skip: database.skip }, () => {
    let s3: TestS3Server;
    let http: HttpHarness;
    let fileUrl: string;
    const objectUrl = `/v1/objects/${DIGEST}`;

    before(async () => {
      s3 = await startTestS3Server();
      ({ http, fileUrl } = await startWithFile(database.kind, {
        ...s3Env(s3),
        ARTIFACTSTORE_PRESIGN_DOWNLOADS: 'true',
        ARTIFACTSTORE_PRESIGN_EXPIRES_SECONDS: String(EXPIRES_SECONDS),
      }));
    });

    after(async () => {
      await http?.close();
      await s3?.close();
    });

    for (const target of ['file', 'object'] as const) {
      const url = () => (target === 'file' ? fileUrl : objectUrl);

      it(`redirects a ${target} GET to a presigned URL`, async () => {
        const response = await http.request('GET', url());
        assert.equal(response.status, 307);
        assert.equal(response.body.length, 0);
        assert.equal(response.headers['cache-control'], 'no-store');
        assert.equal(response.headers.etag, `"${DIGEST}"`);
        const location = new URL(String(response.headers.location));
        assert.equal(location.origin, new URL(s3.endpoint).origin);
        assert.equal(location.searchParams.get('X-Amz-Expires'), String(EXPIRES_SECONDS));

        const fetched = await fetchPresigned(location.toString());
        assert.equal(fetched.status, 200);
        assert.ok(fetched.body.equals(CONTENT), 'the presigned URL returns the exact bytes');
      });

      it(`serves a ${target} range directly`, async () => {
        const response = await http.request('GET', url(), { headers: { range: 'bytes=10-19' } });
        assert.equal(response.status, 206);
        assert.deepEqual(response.body, CONTENT.subarray(10, 20));
      });

      it(`answers a ${target} HEAD directly`, async () => {
        const response = await http.request('HEAD', url());
        assert.equal(response.status, 200);
        assert.equal(response.headers['content-length'], String(CONTENT.length));
        assert.equal(response.headers.location, undefined);
      });
    }

    it('answers a matching If-None-Match with 304, not a redirect', async () => {
      const headers = { 'if-none-match': `"${DIGEST}"` };
      const response = await http.request('GET', fileUrl, { headers });
      assert.equal(response.status, 304);
    });
  });
}

describe('HTTP downloads without presigning', () => {
  let s3: TestS3Server;

  before(async () => {
    s3 = await startTestS3Server();
  });

  after(async () => {
    await s3?.close();
  });

  it('streams S3 objects when the option is off', async () => {
    const { http, fileUrl } = await startWithFile('sqlite', s3Env(s3));
    try {
      const response = await http.request('GET', fileUrl);
      assert.equal(response.status, 200);
      assert.ok(response.body.equals(CONTENT));
      assert.equal(response.headers.location, undefined);
    } finally {
      await http.close();
    }
  });

  it('streams local objects, which cannot be presigned', async () => {
    const { http, fileUrl } = await startWithFile('sqlite', {
      ARTIFACTSTORE_PRESIGN_DOWNLOADS: 'true',
    });
    try {
      const response = await http.request('GET', fileUrl);
      assert.equal(response.status, 200);
      assert.ok(response.body.equals(CONTENT));
    } finally {
      await http.close();
    }
  });
});
