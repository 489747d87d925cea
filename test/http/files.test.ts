import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/identity/hasher.js';
import { HttpHarness, assertProblem, type Loose } from './http-harness.js';
import { TEST_DATABASES } from '../support/test-store.js';

for (const database of TEST_DATABASES) {
  describe(`HTTP file upload on ${database.kind}`, { skip: database.skip }, () => {
    let http: HttpHarness;

    before(async () => {
      http = await HttpHarness.start(database.kind);
    });

    after(async () => {
      await http?.close();
    });

    it('stores a file and returns its record', async () => {
      const pkg = await http.createPackage();
      const response = await http.upload(pkg.id, 'bin/app', 'hello world', {
        'content-type': 'application/x-executable',
        'x-actor': 'carol',
      });
      assert.equal(response.status, 201);
      const file = response.json();
      assert.equal(response.headers.location, `/v1/packages/${pkg.id}/files/bin/app`);
      assert.equal(file.packageId, pkg.id);
      assert.equal(file.path, 'bin/app');
      assert.equal(file.digest, digestOf('hello world'));
      assert.equal(file.size, 11);
      assert.equal(file.mediaType, 'application/x-executable');

      const events = (await http.request('GET', '/v1/events?limit=1000')).json().items;
      const added = events.filter((event: Loose) => event.type === 'file.added').at(-1);
      assert.equal(added.actor, 'carol');
    });

    it('defaults the media type', async () => {
      const pkg = await http.createPackage();
      const response = await http.upload(pkg.id, 'data.bin', Buffer.from([0, 1, 2]));
      assert.equal(response.status, 201);
      assert.equal(response.json().mediaType, 'application/octet-stream');
    });

    it('accepts JSON bytes as file content', async () => {
      const pkg = await http.createPackage();
      const text = '{"not": "parsed"}';
      const response = await http.upload(pkg.id, 'config.json', text, {
        'content-type': 'application/json',
      });
      assert.equal(response.status, 201);
      assert.equal(response.json().digest, digestOf(text));
      const back = await http.request('GET', `/v1/packages/${pkg.id}/files/config.json`);
      assert.equal(back.body.toString(), text);
    });

    it('accepts a matching expected digest', async () => {
      const pkg = await http.createPackage();
      const response = await http.upload(pkg.id, 'a.txt', 'abc', {
        'x-expected-digest': digestOf('abc'),
      });
      assert.equal(response.status, 201);
    });

    it('decodes percent-encoded paths', async () => {
      const pkg = await http.createPackage();
      const response = await http.upload(pkg.id, 'docs/read%20me.txt', 'x');
      assert.equal(response.status, 201);
      assert.equal(response.json().path, 'docs/read me.txt');
      assert.equal(response.headers.location, `/v1/packages/${pkg.id}/files/docs/read%20me.txt`);
    });

    it('lists files in path order with GET and HEAD', async () => {
      const pkg = await http.createPackage();
      for (const path of ['b.txt', 'a/c.txt', 'a.txt']) {
        assert.equal((await http.upload(pkg.id, path, path)).status, 201);
      }
      const response = await http.request('GET', `/v1/packages/${pkg.id}/files`);
      assert.equal(response.status, 200);
      const listing = response.json();
      assert.deepEqual(
        listing.items.map((file: Loose) => file.path),
        ['a.txt', 'a/c.txt', 'b.txt'],
      );
      assert.equal(listing.nextCursor, null);

      const paged = (await http.request('GET', `/v1/packages/${pkg.id}/files?limit=2`)).json();
      assert.equal(paged.items.length, 2);
      const cursor = encodeURIComponent(paged.nextCursor);
      const rest = (
        await http.request('GET', `/v1/packages/${pkg.id}/files?cursor=${cursor}`)
      ).json();
      assert.deepEqual(
        rest.items.map((file: Loose) => file.path),
        ['b.txt'],
      );

      const head = await http.request('HEAD', `/v1/packages/${pkg.id}/files`);
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
    });

    it('answers file lists of unknown packages with 404', async () => {
      const response = await http.request('GET', '/v1/packages/01ARZ3NDEKTSV4RRFFQ69G5FAV/files');
      assertProblem(response, 404, 'PACKAGE_NOT_FOUND');
    });
  });
}

for (const database of TEST_DATABASES) {
  describe(`HTTP upload input checks on ${database.kind}`, { skip: database.skip }, () => {
    let http: HttpHarness;
    let openId: string;
    let finalizedId: string;

    before(async () => {
      http = await HttpHarness.start(database.kind);
      openId = (await http.createPackage()).id;
      assert.equal((await http.upload(openId, 'taken.txt', 'first')).status, 201);
      assert.equal((await http.upload(openId, 'dir/inner.txt', 'inner')).status, 201);
      finalizedId = (await http.createPackage()).id;
      assert.equal(
        (await http.request('POST', `/v1/packages/${finalizedId}/finalize`)).status,
        200,
      );
    });

    after(async () => {
      await http?.close();
    });

    async function expectRejected(
      path: string,
      status: number,
      code: string,
      headers: Record<string, string> = {},
      bytes = 'payload',
    ): Promise<Loose> {
      const before = await http.snapshot();
      const response = await http.request('PUT', path, { body: bytes, headers });
      const problem = assertProblem(response, status, code);
      assert.deepEqual(await http.snapshot(), before);
      return problem;
    }

    const badPaths: Array<[string, string]> = [
      ['dot-dot segment', '../escape.txt'],
      ['encoded dot-dot', '%2e%2e/escape.txt'],
      ['inner dot-dot', 'a/../b.txt'],
      ['dot segment', './a.txt'],
      ['encoded absolute path', '%2Fetc%2Fpasswd'],
      ['encoded backslash', 'a%5Cb.txt'],
      ['encoded NUL', 'a%00b.txt'],
      ['empty segment', 'a//b.txt'],
      ['trailing slash', 'a/'],
      ['empty path', ''],
    ];
    for (const [name, path] of badPaths) {
      it(`rejects a path with ${name}`, async () => {
        await expectRejected(`/v1/packages/${openId}/files/${path}`, 400, 'INVALID_PATH');
      });
    }

    it('rejects a file below an existing file', async () => {
      await expectRejected(`/v1/packages/${openId}/files/taken.txt/below`, 409, 'PATH_CONFLICT');
    });

    it('rejects a file at an existing directory', async () => {
      await expectRejected(`/v1/packages/${openId}/files/dir`, 409, 'PATH_CONFLICT');
    });

    it('rejects a duplicate path', async () => {
      await expectRejected(`/v1/packages/${openId}/files/taken.txt`, 409, 'DUPLICATE_PATH');
    });

    it('rejects uploads into a finalized package', async () => {
      await expectRejected(`/v1/packages/${finalizedId}/files/late.txt`, 409, 'PACKAGE_FINALIZED');
    });

    it('rejects uploads into an unknown package', async () => {
      const path = '/v1/packages/01ARZ3NDEKTSV4RRFFQ69G5FAV/files/a.txt';
      await expectRejected(path, 404, 'PACKAGE_NOT_FOUND');
    });

    const badDigests = ['sha256:abc', `blake3:${'A'.repeat(64)}`, `blake3:${'a'.repeat(63)}`, 'x'];
    for (const digest of badDigests) {
      it(`rejects the expected digest ${digest.slice(0, 12)}`, async () => {
        const path = `/v1/packages/${openId}/files/new.txt`;
        await expectRejected(path, 400, 'INVALID_DIGEST', { 'x-expected-digest': digest });
      });
    }

    it('rejects a digest mismatch and stores no object', async () => {
      const path = `/v1/packages/${openId}/files/mismatch.txt`;
      const bytes = 'bytes that hash to something else';
      const problem = await expectRejected(
        path,
        400,
        'DIGEST_MISMATCH',
        { 'x-expected-digest': digestOf('other bytes') },
        bytes,
      );
      assert.equal(typeof problem.detail, 'string');
      const object = await http.request('GET', `/v1/objects/${digestOf(bytes)}`);
      assertProblem(object, 404, 'OBJECT_NOT_FOUND');
    });
  });
}
