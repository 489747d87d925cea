import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../../src/config/version.js';
import { HttpHarness, assertProblem, jsonBody, type Loose } from './http-harness.js';
import { TEST_DATABASES } from '../support/test-store.js';

for (const database of TEST_DATABASES) {
  describe(`HTTP service routes on ${database.kind}`, { skip: database.skip }, () => {
    let http: HttpHarness;

    before(async () => {
      http = await HttpHarness.start(database.kind, { ARTIFACTSTORE_MAX_METADATA_BYTES: '1024' });
    });

    after(async () => {
      await http?.close();
    });

    it('serves the banner', async () => {
      const response = await http.request('GET', '/');
      assert.equal(response.status, 200);
      assert.deepEqual(response.json(), { name: 'artifactstore', version: VERSION, docs: '/docs' });
    });

    it('reports health', async () => {
      const response = await http.request('GET', '/health');
      assert.equal(response.status, 200);
      assert.deepEqual(response.json(), {
        status: 'ok',
        db: 'ok',
        backend: 'ok',
        version: VERSION,
      });
    });

    it('creates a package with Location and actor', async () => {
      const body = { name: 'app', producer: 'ci', subject: 's1', metadata: { commit: 'abc' } };
      const response = await http.request(
        'POST',
        '/v1/packages',
        jsonBody(body, { 'x-actor': 'alice' }),
      );
      assert.equal(response.status, 201);
      const pkg = response.json();
      assert.equal(response.headers.location, `/v1/packages/${pkg.id}`);
      assert.equal(pkg.name, 'app');
      assert.equal(pkg.state, 'open');
      assert.equal(pkg.createdBy, 'alice');
      assert.equal(pkg.retentionClass, 'standard');
      assert.deepEqual(pkg.metadata, { commit: 'abc' });

      const fetched = await http.request('GET', `/v1/packages/${pkg.id}`);
      assert.equal(fetched.status, 200);
      assert.deepEqual(fetched.json(), pkg);
    });

    it('records anonymous without X-Actor', async () => {
      const pkg = await http.createPackage();
      assert.equal(pkg.createdBy, 'anonymous');
    });

    it('lists packages with filters and cursors', async () => {
      const first = await http.createPackage({ producer: 'lister', subject: 'a' });
      const second = await http.createPackage({ producer: 'lister', subject: 'b' });

      const page1 = (await http.request('GET', '/v1/packages?producer=lister&limit=1')).json();
      assert.deepEqual(
        page1.items.map((pkg: Loose) => pkg.id),
        [first.id],
      );
      assert.equal(typeof page1.nextCursor, 'string');

      const query = `producer=lister&limit=1&cursor=${encodeURIComponent(page1.nextCursor)}`;
      const page2 = (await http.request('GET', `/v1/packages?${query}`)).json();
      assert.deepEqual(
        page2.items.map((pkg: Loose) => pkg.id),
        [second.id],
      );
      assert.equal(page2.nextCursor, null);

      const bySubject = (
        await http.request('GET', '/v1/packages?producer=lister&subject=b')
      ).json();
      assert.deepEqual(
        bySubject.items.map((pkg: Loose) => pkg.id),
        [second.id],
      );
    });

    it('finalizes a package once', async () => {
      const pkg = await http.createPackage({ producer: 'finalizer' });
      const response = await http.request('POST', `/v1/packages/${pkg.id}/finalize`, {
        headers: { 'x-actor': 'bob' },
      });
      assert.equal(response.status, 200);
      const result = response.json();
      assert.equal(result.package.state, 'finalized');
      assert.match(result.manifestDigest, /^blake3:[0-9a-f]{64}$/);
      assert.equal(result.package.manifestDigest, result.manifestDigest);

      const open = (await http.request('GET', '/v1/packages?producer=finalizer&state=open')).json();
      assert.equal(open.items.length, 0);
      const done = (
        await http.request('GET', '/v1/packages?producer=finalizer&state=finalized')
      ).json();
      assert.equal(done.items.length, 1);

      const before = await http.snapshot();
      const again = await http.request('POST', `/v1/packages/${pkg.id}/finalize`);
      assertProblem(again, 409, 'PACKAGE_FINALIZED');
      assert.deepEqual(await http.snapshot(), before);
    });

    it('lists events after a sequence number', async () => {
      const all = (await http.request('GET', '/v1/events')).json();
      assert.ok(all.items.length >= 2);
      assert.equal(all.nextAfter, all.items.at(-1).seq);

      const firstSeq = all.items[0].seq;
      const rest = (await http.request('GET', `/v1/events?after=${firstSeq}&limit=1`)).json();
      assert.equal(rest.items.length, 1);
      assert.equal(rest.items[0].seq, all.items[1].seq);
      assert.equal(rest.nextAfter, all.items[1].seq);

      const end = all.nextAfter;
      const none = (await http.request('GET', `/v1/events?after=${end}`)).json();
      assert.deepEqual(none, { items: [], nextAfter: end });
    });

    it('answers unknown packages with 404', async () => {
      const response = await http.request('GET', '/v1/packages/01ARZ3NDEKTSV4RRFFQ69G5FAV');
      const problem = assertProblem(response, 404, 'PACKAGE_NOT_FOUND');
      assert.equal(problem.instance, '/v1/packages/01ARZ3NDEKTSV4RRFFQ69G5FAV');
      assert.notEqual(response.headers.connection, 'close');
    });

    it('answers unknown routes with 404', async () => {
      const response = await http.request('GET', '/v2/nothing');
      assertProblem(response, 404, 'ROUTE_NOT_FOUND');
    });
  });
}

for (const database of TEST_DATABASES) {
  describe(`HTTP package input checks on ${database.kind}`, { skip: database.skip }, () => {
    let http: HttpHarness;

    before(async () => {
      http = await HttpHarness.start(database.kind, { ARTIFACTSTORE_MAX_METADATA_BYTES: '1024' });
      await http.createPackage();
    });

    after(async () => {
      await http?.close();
    });

    const valid = { name: 'app', producer: 'ci', subject: 's' };
    const cases: Array<{
      name: string;
      body: unknown;
      status: number;
      code: string;
      field?: string;
    }> = [
      { name: 'malformed JSON', body: '{"name": ', status: 400, code: 'INVALID_ARGUMENT' },
      { name: 'JSON array', body: [valid], status: 400, code: 'INVALID_ARGUMENT' },
      {
        name: 'missing name',
        body: { producer: 'ci', subject: 's' },
        status: 400,
        code: 'INVALID_ARGUMENT',
        field: 'body.name',
      },
      {
        name: 'missing subject',
        body: { name: 'a', producer: 'ci' },
        status: 400,
        code: 'INVALID_ARGUMENT',
        field: 'body.subject',
      },
      {
        name: 'name not a string',
        body: { ...valid, name: 42 },
        status: 400,
        code: 'INVALID_ARGUMENT',
        field: 'body.name',
      },
      {
        name: 'empty name',
        body: { ...valid, name: '' },
        status: 400,
        code: 'INVALID_ARGUMENT',
        field: 'body.name',
      },
      {
        name: 'unknown field',
        body: { ...valid, colour: 'red' },
        status: 400,
        code: 'INVALID_ARGUMENT',
        field: 'body.colour',
      },
      {
        name: 'metadata an array',
        body: { ...valid, metadata: [1] },
        status: 400,
        code: 'INVALID_METADATA',
        field: 'body.metadata',
      },
      {
        name: 'metadata a string',
        body: { ...valid, metadata: 'x' },
        status: 400,
        code: 'INVALID_METADATA',
        field: 'body.metadata',
      },
      {
        name: 'metadata null',
        body: { ...valid, metadata: null },
        status: 400,
        code: 'INVALID_METADATA',
        field: 'body.metadata',
      },
      {
        name: 'metadata over the limit',
        body: { ...valid, metadata: { blob: 'x'.repeat(2000) } },
        status: 400,
        code: 'INVALID_METADATA',
      },
      {
        name: 'unknown retention class',
        body: { ...valid, retentionClass: 'forever-and-ever' },
        status: 400,
        code: 'UNKNOWN_RETENTION_CLASS',
      },
      {
        name: 'control character in name',
        body: { ...valid, name: 'a\u0000b' },
        status: 400,
        code: 'INVALID_ARGUMENT',
      },
    ];

    for (const testCase of cases) {
      it(`rejects ${testCase.name}`, async () => {
        const before = await http.snapshot();
        const response = await http.request('POST', '/v1/packages', jsonBody(testCase.body));
        const problem = assertProblem(response, testCase.status, testCase.code);
        if (testCase.field !== undefined) assert.equal(problem.field, testCase.field);
        assert.deepEqual(await http.snapshot(), before);
      });
    }

    it('rejects an empty JSON body', async () => {
      const before = await http.snapshot();
      const response = await http.request('POST', '/v1/packages', {
        headers: { 'content-type': 'application/json' },
      });
      assertProblem(response, 400, 'INVALID_ARGUMENT');
      assert.deepEqual(await http.snapshot(), before);
    });

    it('rejects a non-JSON content type', async () => {
      const before = await http.snapshot();
      const response = await http.request('POST', '/v1/packages', {
        body: JSON.stringify(valid),
        headers: { 'content-type': 'text/plain' },
      });
      assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      assert.deepEqual(await http.snapshot(), before);
    });

    it('rejects a JSON body over the body limit', async () => {
      const before = await http.snapshot();
      const huge = { ...valid, metadata: { blob: 'x'.repeat(2 * 1024 * 1024) } };
      const response = await http.request('POST', '/v1/packages', jsonBody(huge));
      assertProblem(response, 413, 'PAYLOAD_TOO_LARGE');
      assert.deepEqual(await http.snapshot(), before);
    });

    const badQueries: Array<[string, string, string]> = [
      ['/v1/packages?limit=0', 'INVALID_ARGUMENT', 'querystring.limit'],
      ['/v1/packages?limit=1001', 'INVALID_ARGUMENT', 'querystring.limit'],
      ['/v1/packages?limit=ten', 'INVALID_ARGUMENT', 'querystring.limit'],
      ['/v1/packages?state=closed', 'INVALID_ARGUMENT', 'querystring.state'],
      ['/v1/packages?cursor=not-a-cursor', 'INVALID_CURSOR', ''],
      ['/v1/events?after=-1', 'INVALID_ARGUMENT', 'querystring.after'],
      ['/v1/events?after=x', 'INVALID_ARGUMENT', 'querystring.after'],
    ];
    for (const [path, code, field] of badQueries) {
      it(`rejects ${path}`, async () => {
        const problem = assertProblem(await http.request('GET', path), 400, code);
        if (field !== '') assert.equal(problem.field, field);
      });
    }
  });
}
