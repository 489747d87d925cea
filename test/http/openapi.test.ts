import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpHarness, type Loose } from './http-harness.js';
import { TEST_DATABASES } from '../support/test-store.js';

const ROUTES: Record<string, string[]> = {
  '/': ['get'],
  '/health': ['get'],
  '/v1/packages': ['get', 'post'],
  '/v1/packages/{id}': ['get'],
  '/v1/packages/{id}/finalize': ['post'],
  '/v1/packages/{id}/files': ['get', 'head'],
  '/v1/packages/{id}/files/{*}': ['get', 'head', 'put'],
  '/v1/packages/{id}/manifest': ['get'],
  '/v1/objects/{digest}': ['get', 'head'],
  '/v1/events': ['get'],
};

for (const database of TEST_DATABASES) {
  describe(`HTTP API documentation on ${database.kind}`, { skip: database.skip }, () => {
    let http: HttpHarness;

    before(async () => {
      http = await HttpHarness.start(database.kind);
    });

    after(async () => {
      await http?.close();
    });

    it('lists every route in the OpenAPI document', async () => {
      const response = await http.request('GET', '/docs/json');
      assert.equal(response.status, 200);
      const document = response.json();
      assert.match(document.openapi, /^3\./);
      assert.equal(document.info.title, 'artifactstore');
      const listed = Object.fromEntries(
        Object.entries(document.paths).map(([path, item]) => [
          path,
          Object.keys(item as object).sort(),
        ]),
      );
      assert.deepEqual(listed, ROUTES);
    });

    it('documents bodies, queries and problem responses', async () => {
      const { paths } = (await http.request('GET', '/docs/json')).json();
      const create = paths['/v1/packages'].post;
      const body = create.requestBody.content['application/json'].schema;
      assert.deepEqual(body.required, ['name', 'producer', 'subject']);
      assert.ok(create.responses['201']);
      assert.ok(create.responses['4XX'].content['application/problem+json']);

      const list = paths['/v1/packages'].get;
      const names = list.parameters.map((parameter: Loose) => parameter.name).sort();
      assert.deepEqual(names, ['cursor', 'limit', 'name', 'producer', 'state', 'subject']);

      const upload = paths['/v1/packages/{id}/files/{*}'].put;
      assert.equal(upload.requestBody.content['*/*'].schema.format, 'binary');

      const manifest = paths['/v1/packages/{id}/manifest'].get.responses['200'].content;
      assert.deepEqual(Object.keys(manifest).sort(), ['application/cbor', 'application/json']);
    });

    it('serves the Swagger UI', async () => {
      const response = await http.request('GET', '/docs');
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /^text\/html/);
    });
  });
}
