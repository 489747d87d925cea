import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/identity/hasher.js';
import { HttpHarness, assertProblem } from './http-harness.js';
import { TEST_DATABASES } from '../support/test-store.js';

const CONTENT = Buffer.from(Array.from({ length: 100 }, (_, index) => index));
const DIGEST = digestOf(CONTENT);

for (const database of TEST_DATABASES) {
  describe(`HTTP downloads on ${database.kind}`, { skip: database.skip }, () => {
    let http: HttpHarness;
    let fileUrl: string;
    let emptyUrl: string;
    const objectUrl = `/v1/objects/${DIGEST}`;

    before(async () => {
      http = await HttpHarness.start(database.kind);
      const pkg = await http.createPackage();
      fileUrl = `/v1/packages/${pkg.id}/files/data/blob.bin`;
      emptyUrl = `/v1/packages/${pkg.id}/files/empty`;
      const put = await http.request('PUT', fileUrl, {
        body: CONTENT,
        headers: { 'content-type': 'application/x-test' },
      });
      assert.equal(put.status, 201);
      assert.equal((await http.request('PUT', emptyUrl, { body: '' })).status, 201);
    });

    after(async () => {
      await http?.close();
    });

    function assertContentHeaders(headers: Record<string, unknown>): void {
      assert.equal(headers.etag, `"${DIGEST}"`);
      assert.equal(headers['x-content-digest'], DIGEST);
      assert.equal(headers['accept-ranges'], 'bytes');
      assert.equal(headers['x-content-type-options'], 'nosniff');
      assert.equal(headers['content-security-policy'], 'sandbox');
    }

    for (const target of ['file', 'object'] as const) {
      const url = () => (target === 'file' ? fileUrl : objectUrl);
      const mediaType = target === 'file' ? 'application/x-test' : 'application/octet-stream';

      describe(`${target} downloads`, () => {
        it('sends the whole body', async () => {
          const response = await http.request('GET', url());
          assert.equal(response.status, 200);
          assert.deepEqual(response.body, CONTENT);
          assert.equal(response.headers['content-type'], mediaType);
          assert.equal(response.headers['content-length'], '100');
          assertContentHeaders(response.headers);
        });

        it('answers HEAD with headers only', async () => {
          const response = await http.request('HEAD', url());
          assert.equal(response.status, 200);
          assert.equal(response.body.length, 0);
          assert.equal(response.headers['content-length'], '100');
          assert.equal(response.headers['content-type'], mediaType);
          assertContentHeaders(response.headers);
        });

        const ranges: Array<[string, number, number]> = [
          ['bytes=0-9', 0, 9],
          ['bytes=-10', 90, 99],
          ['bytes=90-', 90, 99],
          ['bytes=99-99', 99, 99],
          ['bytes=50-1000', 50, 99],
          ['bytes=-1000', 0, 99],
        ];
        for (const [header, start, end] of ranges) {
          it(`serves ${header}`, async () => {
            const response = await http.request('GET', url(), { headers: { range: header } });
            assert.equal(response.status, 206);
            assert.equal(response.headers['content-range'], `bytes ${start}-${end}/100`);
            assert.equal(response.headers['content-length'], String(end - start + 1));
            assert.deepEqual(response.body, CONTENT.subarray(start, end + 1));
            assertContentHeaders(response.headers);
          });
        }

        for (const header of ['bytes=100-', 'bytes=100-200', 'bytes=-0']) {
          it(`rejects ${header} with 416`, async () => {
            const response = await http.request('GET', url(), { headers: { range: header } });
            const problem = assertProblem(response, 416, 'RANGE_NOT_SATISFIABLE');
            assert.equal(response.headers['content-range'], 'bytes */100');
            assert.equal(problem.size, 100);
          });
        }

        const ignored = ['bytes=abc', 'bytes=5-2', 'items=0-1', 'bytes=0-1,5-6'];
        for (const header of ignored) {
          it(`ignores ${header}`, async () => {
            const response = await http.request('GET', url(), { headers: { range: header } });
            assert.equal(response.status, 200);
            assert.equal(response.headers['content-range'], undefined);
            assert.deepEqual(response.body, CONTENT);
          });
        }

        it('ignores Range on HEAD', async () => {
          const response = await http.request('HEAD', url(), { headers: { range: 'bytes=0-9' } });
          assert.equal(response.status, 200);
          assert.equal(response.headers['content-length'], '100');
        });

        it('answers a matching If-None-Match with 304', async () => {
          for (const tag of [`"${DIGEST}"`, `W/"${DIGEST}"`, `"other", "${DIGEST}"`, '*']) {
            const response = await http.request('GET', url(), {
              headers: { 'if-none-match': tag },
            });
            assert.equal(response.status, 304, tag);
            assert.equal(response.body.length, 0);
            assert.equal(response.headers.etag, `"${DIGEST}"`);
          }
        });

        it('sends the body for another If-None-Match', async () => {
          const headers = { 'if-none-match': `"${digestOf('other')}"` };
          const response = await http.request('GET', url(), { headers });
          assert.equal(response.status, 200);
          assert.deepEqual(response.body, CONTENT);
        });

        it('honours Range only under a matching If-Range', async () => {
          const range = 'bytes=0-9';
          const matching = await http.request('GET', url(), {
            headers: { range, 'if-range': `"${DIGEST}"` },
          });
          assert.equal(matching.status, 206);
          const stale = await http.request('GET', url(), {
            headers: { range, 'if-range': `"${digestOf('old')}"` },
          });
          assert.equal(stale.status, 200);
          assert.deepEqual(stale.body, CONTENT);
        });
      });
    }

    it('sends an empty file', async () => {
      const response = await http.request('GET', emptyUrl);
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-length'], '0');
      assert.equal(response.body.length, 0);
      assert.equal(response.headers.etag, `"${digestOf('')}"`);
    });

    for (const header of ['bytes=0-', 'bytes=0-0', 'bytes=-1']) {
      it(`rejects ${header} of an empty file with 416`, async () => {
        const response = await http.request('GET', emptyUrl, { headers: { range: header } });
        assertProblem(response, 416, 'RANGE_NOT_SATISFIABLE');
        assert.equal(response.headers['content-range'], 'bytes */0');
      });
    }

    it('answers missing files with 404', async () => {
      const response = await http.request('GET', fileUrl.replace('blob.bin', 'nothing.bin'));
      assertProblem(response, 404, 'FILE_NOT_FOUND');
    });

    it('answers missing objects with 404', async () => {
      const response = await http.request('GET', `/v1/objects/${digestOf('never stored')}`);
      assertProblem(response, 404, 'OBJECT_NOT_FOUND');
      const head = await http.request('HEAD', `/v1/objects/${digestOf('never stored')}`);
      assert.equal(head.status, 404);
    });

    for (const digest of [
      'abc',
      `BLAKE3:${'a'.repeat(64)}`,
      `blake3:${'G'.repeat(64)}`,
      'sha256:00',
    ]) {
      it(`rejects the object digest ${digest.slice(0, 12)}`, async () => {
        const response = await http.request('GET', `/v1/objects/${encodeURIComponent(digest)}`);
        assertProblem(response, 400, 'INVALID_DIGEST');
      });
    }

    it('marks objects as immutable for caches', async () => {
      const response = await http.request('GET', objectUrl);
      assert.match(String(response.headers['cache-control']), /immutable/);
    });
  });
}
