import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Digest } from '../../src/identity/digest.js';
import { digestOf } from '../../src/identity/hasher.js';
import { decodeManifest } from '../../src/manifest/cbor-codec.js';
import { NEW_LOCAL_LAYOUT_VERSION, objectKey } from '../../src/storage/layout.js';
import { HttpHarness, assertProblem } from './http-harness.js';
import { TEST_DATABASES } from '../support/test-store.js';

for (const database of TEST_DATABASES) {
  describe(`HTTP manifest on ${database.kind}`, { skip: database.skip }, () => {
    let http: HttpHarness;
    let packageId: string;
    let manifestDigest: Digest;
    let manifestUrl: string;

    before(async () => {
      http = await HttpHarness.start(database.kind);
      packageId = (await http.createPackage({ metadata: { build: 7 } })).id;
      assert.equal((await http.upload(packageId, 'b.txt', 'bee')).status, 201);
      assert.equal((await http.upload(packageId, 'a/c.txt', 'sea')).status, 201);
      const finalized = await http.request('POST', `/v1/packages/${packageId}/finalize`);
      manifestDigest = finalized.json().manifestDigest;
      manifestUrl = `/v1/packages/${packageId}/manifest`;
    });

    after(async () => {
      await http?.close();
    });

    it('sends CBOR that hashes to the manifest address', async () => {
      const response = await http.request('GET', manifestUrl, {
        headers: { accept: 'application/cbor' },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], 'application/cbor');
      assert.equal(digestOf(response.body), manifestDigest);
      assert.equal(response.headers.etag, `"${manifestDigest}"`);
      assert.equal(response.headers['x-manifest-digest'], manifestDigest);
      assert.equal(response.headers.vary, 'Accept');

      const manifest = decodeManifest(response.body);
      assert.equal(manifest.package.id, packageId);
      assert.deepEqual(
        manifest.files.map((file) => file.path),
        ['a/c.txt', 'b.txt'],
      );
    });

    it('sends JSON by default and for application/json', async () => {
      const cbor = await http.request('GET', manifestUrl, {
        headers: { accept: 'application/cbor' },
      });
      const expected = JSON.parse(JSON.stringify(decodeManifest(cbor.body)));
      for (const accept of [undefined, 'application/json', '*/*', 'text/html, application/*']) {
        const headers: Record<string, string> = accept === undefined ? {} : { accept };
        const response = await http.request('GET', manifestUrl, { headers });
        assert.equal(response.status, 200, String(accept));
        assert.match(String(response.headers['content-type']), /^application\/json/);
        assert.deepEqual(response.json(), expected);
        assert.equal(response.headers.etag, `W/"${manifestDigest}"`);
        assert.equal(response.headers['x-manifest-digest'], manifestDigest);
        assert.notEqual(digestOf(response.body), manifestDigest);
      }
    });

    it('answers If-None-Match with 304 in both formats', async () => {
      for (const accept of ['application/json', 'application/cbor']) {
        const response = await http.request('GET', manifestUrl, {
          headers: { accept, 'if-none-match': `"${manifestDigest}"` },
        });
        assert.equal(response.status, 304, accept);
        assert.equal(response.body.length, 0);
      }
    });

    it('rejects unsupported media types with 406', async () => {
      const response = await http.request('GET', manifestUrl, { headers: { accept: 'text/html' } });
      const problem = assertProblem(response, 406, 'NOT_ACCEPTABLE');
      assert.deepEqual(problem.available, ['application/json', 'application/cbor']);
    });

    it('rejects open packages with 409', async () => {
      const open = await http.createPackage();
      const response = await http.request('GET', `/v1/packages/${open.id}/manifest`);
      assertProblem(response, 409, 'PACKAGE_NOT_FINALIZED');
    });

    it('answers unknown packages with 404', async () => {
      const response = await http.request(
        'GET',
        '/v1/packages/01ARZ3NDEKTSV4RRFFQ69G5FAV/manifest',
      );
      assertProblem(response, 404, 'PACKAGE_NOT_FOUND');
    });

    it('hides the cause of a corrupted manifest', async () => {
      const other = await http.createPackage({ name: 'corrupted' });
      const finalized = (await http.request('POST', `/v1/packages/${other.id}/finalize`)).json();
      const stored = join(
        http.store.config.storage.localRoot,
        objectKey(finalized.manifestDigest, NEW_LOCAL_LAYOUT_VERSION),
      );
      await chmod(stored, 0o644);
      await writeFile(stored, 'not the manifest');

      const response = await http.request('GET', `/v1/packages/${other.id}/manifest`);
      assert.equal(response.status, 500);
      const problem = response.json();
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assert.equal(problem.status, 500);
      assert.equal(problem.code, 'INTEGRITY_ERROR');
      assert.equal(problem.detail.includes(finalized.manifestDigest), false);
      assert.deepEqual(Object.keys(problem).sort(), [
        'code',
        'detail',
        'instance',
        'requestId',
        'status',
        'title',
        'type',
      ]);

      const logged = http.logLines.find(
        (line) => line.reqId === problem.requestId && line.msg === 'request failed',
      );
      assert.ok(logged, 'the failure is logged');
      assert.equal(logged.level, 50);
      assert.equal((logged.err as { type?: string }).type, 'StoreError');
    });
  });
}
