import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpHarness, assertProblem, type Loose } from './http-harness.js';
import { TEST_DATABASES } from '../support/test-store.js';

for (const database of TEST_DATABASES) {
  describe(`HTTP request logging on ${database.kind}`, { skip: database.skip }, () => {
    let http: HttpHarness;

    before(async () => {
      http = await HttpHarness.start(database.kind);
    });

    after(async () => {
      await http?.close();
    });

    function linesOf(requestId: string): Array<Record<string, Loose>> {
      return http.logLines.filter((line) => line.reqId === requestId);
    }

    it('logs the start and the completion of a request', async () => {
      const response = await http.request('GET', '/health?probe=1', {
        headers: { authorization: 'Bearer top-secret-token', cookie: 'session=also-secret' },
      });
      const requestId = String(response.headers['x-request-id']);
      const lines = linesOf(requestId);
      assert.equal(lines.length, 2);

      const [start, end] = lines;
      assert.equal(start!.level, 30);
      assert.deepEqual(start!.req, {
        method: 'GET',
        url: '/health?probe=1',
        remoteAddress: '127.0.0.1',
      });
      assert.equal(end!.level, 30);
      assert.equal(end!.res.statusCode, 200);
      assert.equal(typeof end!.responseTime, 'number');

      const text = JSON.stringify(http.logLines);
      assert.equal(text.includes('top-secret-token'), false);
      assert.equal(text.includes('also-secret'), false);
    });

    it('logs client errors at info with their code', async () => {
      const response = await http.request('GET', '/v1/packages/01ARZ3NDEKTSV4RRFFQ69G5FAV');
      const problem = assertProblem(response, 404, 'PACKAGE_NOT_FOUND');
      const lines = linesOf(problem.requestId);
      const rejected = lines.find((line) => line.msg === 'request rejected');
      assert.ok(rejected);
      assert.equal(rejected.level, 30);
      assert.equal(rejected.code, 'PACKAGE_NOT_FOUND');
      assert.equal(
        lines.some((line) => line.level >= 50),
        false,
      );
      assert.equal(lines.at(-1)!.res.statusCode, 404);
    });
  });
}
