import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpHarness, assertProblem, jsonBody, type Loose } from './http-harness.js';

/**
 * Sends one request over a raw socket, so header bytes go out exactly as given (undici rejects
 * header values outside latin1), and returns the status and the parsed JSON body.
 */
async function rawRequest(
  url: string,
  head: Buffer,
  body: string,
): Promise<{ status: number; json: Loose }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve, reject) => {
    socket.on('end', resolve);
    socket.on('error', reject);
  });
  socket.write(Buffer.concat([head, Buffer.from(body)]));
  await closed;

  const response = Buffer.concat(chunks).toString('utf8');
  const split = response.indexOf('\r\n\r\n');
  const status = Number(response.slice(9, 12));
  return { status, json: JSON.parse(response.slice(split + 4)) };
}

function createRequestHead(actorBytes: Buffer, body: string): Buffer {
  return Buffer.concat([
    Buffer.from(
      'POST /v1/packages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n' +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Actor: `,
    ),
    actorBytes,
    Buffer.from('\r\n\r\n'),
  ]);
}

const PACKAGE_BODY = JSON.stringify({ name: 'app', producer: 'ci', subject: 'build-1' });

describe('HTTP request edge cases', () => {
  let http: HttpHarness;

  before(async () => {
    http = await HttpHarness.start('sqlite');
  });

  after(async () => {
    await http?.close();
  });

  describe('X-Actor', () => {
    it('decodes raw UTF-8 header bytes', async () => {
      for (const name of ['jürgen', '李雷']) {
        const head = createRequestHead(Buffer.from(name, 'utf8'), PACKAGE_BODY);
        const response = await rawRequest(http.url, head, PACKAGE_BODY);
        assert.equal(response.status, 201, JSON.stringify(response.json));
        assert.equal(response.json.createdBy, name);
      }
    });

    it('decodes a percent-encoded actor', async () => {
      const headers = { 'x-actor': encodeURIComponent('jürgen 李雷') };
      const response = await http.request('POST', '/v1/packages', jsonBody(PACKAGE_BODY, headers));
      assert.equal(response.status, 201);
      assert.equal(response.json().createdBy, 'jürgen 李雷');
    });

    it('rejects an invalid escape naming the header', async () => {
      const headers = { 'x-actor': 'bad%FFname' };
      const response = await http.request('POST', '/v1/packages', jsonBody(PACKAGE_BODY, headers));
      const problem = assertProblem(response, 400, 'INVALID_ARGUMENT');
      assert.match(problem.detail, /X-Actor/);
      assert.equal(problem.header, 'x-actor');
    });
  });

  it('rejects metadata integers beyond the safe range', async () => {
    const body =
      '{"name":"app","producer":"ci","subject":"s","metadata":{"i":12345678901234567890}}';
    const response = await http.request('POST', '/v1/packages', jsonBody(body));
    const problem = assertProblem(response, 400, 'INVALID_METADATA');
    assert.equal(problem.rule, 'unsafe-integer');
    assert.equal(problem.location, '$.i');
    assert.match(problem.detail, /cannot be stored exactly/);
    assert.match(problem.detail, /send it as a string/);
  });

  describe('invalid Content-Type', () => {
    for (const contentType of ['foo', ';;;garbage']) {
      it(`explains ${contentType} on an upload`, async () => {
        const pkg = await http.createPackage();
        const response = await http.upload(pkg.id, 'a.bin', 'x', { 'content-type': contentType });
        const problem = assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
        assert.match(problem.detail, /valid media type such as application\/octet-stream/);
        assert.doesNotMatch(problem.detail, /send application\/json/);
        assert.equal(problem.value, contentType);
      });

      it(`asks for JSON on ${contentType} at a JSON route`, async () => {
        const response = await http.request('POST', '/v1/packages', {
          body: PACKAGE_BODY,
          headers: { 'content-type': contentType },
        });
        const problem = assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
        assert.match(problem.detail, /send application\/json/);
      });
    }
  });

  describe('raw values in details', () => {
    it('keeps an invalid path unquoted', async () => {
      const pkg = await http.createPackage();
      const response = await http.upload(pkg.id, 'a/%2E%2E/b', 'x');
      const problem = assertProblem(response, 400, 'INVALID_PATH');
      assert.equal(problem.path, 'a/../b');
      assert.match(problem.detail, /"a\/\.\.\/b"/);
    });

    it('keeps an invalid name unquoted', async () => {
      const body = { name: 'a\u0000b', producer: 'ci', subject: 's' };
      const response = await http.request('POST', '/v1/packages', jsonBody(body));
      const problem = assertProblem(response, 400, 'INVALID_ARGUMENT');
      assert.equal(problem.value, 'a\u0000b');
    });
  });

  it('names the body limit and the metadata limit on 413', async () => {
    const limit = 1024 * 1024;
    const metadata = { blob: 'x'.repeat(limit) };
    const body = { name: 'app', producer: 'ci', subject: 's', metadata };
    const response = await http.request('POST', '/v1/packages', jsonBody(body));
    const problem = assertProblem(response, 413, 'PAYLOAD_TOO_LARGE');
    const maxMetadataBytes = http.store.config.maxMetadataBytes;
    assert.equal(problem.limit, limit);
    assert.equal(problem.maxMetadataBytes, maxMetadataBytes);
    assert.ok(problem.detail.includes(`${limit} bytes`), problem.detail);
    assert.ok(problem.detail.includes(`${maxMetadataBytes} bytes`), problem.detail);
    assert.match(problem.detail, /ARTIFACTSTORE_MAX_METADATA_BYTES/);
  });

  it('meets the metadata limit before the body limit', async () => {
    const metadata = { blob: 'x'.repeat(http.store.config.maxMetadataBytes) };
    const body = { name: 'app', producer: 'ci', subject: 's', metadata };
    const response = await http.request('POST', '/v1/packages', jsonBody(body));
    const problem = assertProblem(response, 400, 'INVALID_METADATA');
    assert.equal(problem.rule, 'too-large');
  });

  it('answers a URL that is not UTF-8 with a problem', async () => {
    const pkg = await http.createPackage();
    const url = `/v1/packages/${pkg.id}/files/%FF`;
    const response = await http.request('GET', url);
    const problem = assertProblem(response, 400, 'INVALID_PATH');
    assert.equal(problem.url, url);
    assert.ok(problem.detail.includes(url), problem.detail);
  });

  describe('416 details', () => {
    let packageId: string;

    before(async () => {
      packageId = (await http.createPackage()).id;
      assert.equal((await http.upload(packageId, 'ten.bin', '0123456789')).status, 201);
      assert.equal((await http.upload(packageId, 'empty.bin', '')).status, 201);
    });

    async function rangeProblem(path: string, range: string): Promise<Loose> {
      const response = await http.request('GET', `/v1/packages/${packageId}/files/${path}`, {
        headers: { range },
      });
      return assertProblem(response, 416, 'RANGE_NOT_SATISFIABLE');
    }

    it('explains a zero-length suffix range', async () => {
      const problem = await rangeProblem('ten.bin', 'bytes=-0');
      assert.match(problem.detail, /10 bytes/);
      assert.match(problem.detail, /at least 1/);
      assert.doesNotMatch(problem.detail, /starts below/);
    });

    it('states the size for a start past the end', async () => {
      const problem = await rangeProblem('ten.bin', 'bytes=10-');
      assert.match(problem.detail, /10 bytes long/);
      assert.match(problem.detail, /from 0 to 9/);
    });

    it('explains that an empty file has no bytes', async () => {
      for (const range of ['bytes=0-', 'bytes=-1']) {
        const problem = await rangeProblem('empty.bin', range);
        assert.match(problem.detail, /empty \(0 bytes\)/);
        assert.match(problem.detail, /no bytes to range over/);
        assert.doesNotMatch(problem.detail, /starts below 0/);
      }
    });
  });
});
