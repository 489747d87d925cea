import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ConnectionError } from 'fastify';
import { explainClientError } from '../../src/http/client-errors.js';
import { HttpHarness, assertProblem, jsonBody, type Loose } from './http-harness.js';
import { TEST_DATABASES } from '../support/test-store.js';

/** A response read from a raw socket until the server closed the connection. */
interface RawResponse {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
  /** Number of bytes after the first response's body; 0 when the server sent one response. */
  trailing: number;
}

/**
 * Sends `bytes` over a new connection exactly as given, so that the framing headers can
 * disagree with the body, and reads until the server closes the connection (at most 5 s).
 */
async function sendRaw(http: HttpHarness, bytes: string): Promise<RawResponse> {
  const { hostname, port } = new URL(http.url);
  const socket = connect({ host: hostname, port: Number(port) });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  const timer = setTimeout(() => socket.destroy(), 5_000);
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.write(bytes);
  await closed;
  clearTimeout(timer);

  const text = Buffer.concat(chunks).toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  assert.ok(split > 0, `no complete response in ${JSON.stringify(text)}`);
  const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = Buffer.from(text.slice(split + 4), 'utf8');
  const length = Number(headers['content-length']);
  const body = rest.subarray(0, length).toString('utf8');
  return { statusLine, headers, body, trailing: rest.length - length };
}

/** Asserts that a raw response is a problem document with INVALID_ARGUMENT, and returns it. */
function assertRawProblem(
  response: RawResponse,
  expected = { status: 400, reason: 'Bad Request', code: 'INVALID_ARGUMENT' },
): Loose {
  assert.equal(response.statusLine, `HTTP/1.1 ${expected.status} ${expected.reason}`);
  assert.equal(response.headers['content-type'], 'application/problem+json');
  assert.equal(response.headers.connection, 'close');
  assert.equal(response.trailing, 0, 'the server sent more than one response');
  const problem = JSON.parse(response.body);
  assert.equal(problem.status, expected.status);
  assert.equal(problem.code, expected.code);
  const slug = expected.code.toLowerCase().replaceAll('_', '-');
  assert.equal(problem.type, `https://artifactstore.dev/problems/${slug}`);
  assert.equal(typeof problem.title, 'string');
  assert.equal(problem.requestId, response.headers['x-request-id']);
  return problem;
}

for (const database of TEST_DATABASES) {
  describe(`malformed HTTP requests on ${database.kind}`, { skip: database.skip }, () => {
    let http: HttpHarness;

    before(async () => {
      http = await HttpHarness.start(database.kind);
    });

    after(async () => {
      await http?.close();
    });

    describe('framing errors', () => {
      it('explains a body longer than Content-Length', async () => {
        const pkg = await http.createPackage();
        const response = await sendRaw(
          http,
          `PUT /v1/packages/${pkg.id}/files/a.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
            'Content-Length: 3\r\n\r\nabcdef',
        );
        const problem = assertRawProblem(response);
        assert.equal(problem.parserError, 'HPE_INVALID_METHOD');
        assert.match(problem.detail, /longer than its Content-Length/);
        assert.match(problem.detail, /Content-Length equal to the number of body bytes/);
        const logged = http.logLines.find((line) => line.reqId === problem.requestId);
        assert.equal(logged?.msg, 'request rejected');
        assert.equal(logged?.code, 'INVALID_ARGUMENT');
      });

      it('explains chunked encoding with Content-Length', async () => {
        const pkg = await http.createPackage();
        const response = await sendRaw(
          http,
          `PUT /v1/packages/${pkg.id}/files/b.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
            'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n0\r\n\r\n',
        );
        const problem = assertRawProblem(response);
        assert.equal(problem.parserError, 'HPE_INVALID_TRANSFER_ENCODING');
        assert.match(problem.detail, /invalid Transfer-Encoding header/);
        assert.match(problem.detail, /can't be present with Content-Length/);
        assert.match(problem.detail, /chunked and no Content-Length/);
      });

      it('names the limit of oversized headers', async () => {
        const response = await sendRaw(
          http,
          `GET /v1/packages?name=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
        );
        const problem = assertRawProblem(response, {
          status: 431,
          reason: 'Request Header Fields Too Large',
          code: 'HEADERS_TOO_LARGE',
        });
        assert.equal(problem.parserError, 'HPE_HEADER_OVERFLOW');
        assert.equal(problem.limit, 16384);
        assert.match(problem.detail, /exceed the limit of 16384 bytes/);
      });

      it('names the headers timeout', () => {
        const error = Object.assign(new Error('Request timeout'), {
          code: 'ERR_HTTP_REQUEST_TIMEOUT',
        }) as ConnectionError;
        const explained = explainClientError(error, {
          maxHeaderSize: 16384,
          headersTimeout: 60000,
        });
        assert.equal(explained.code, 'REQUEST_TIMEOUT');
        assert.equal(explained.httpStatus, 408);
        assert.equal(explained.details.timeoutMs, 60000);
        assert.match(explained.message, /timed out/);
        assert.match(explained.message, /within 60000 ms/);
      });
    });

    describe('empty JSON body', () => {
      it('finalizes with an empty JSON body', async () => {
        const pkg = await http.createPackage();
        const response = await http.request('POST', `/v1/packages/${pkg.id}/finalize`, {
          body: '',
          headers: { 'content-type': 'application/json', 'content-length': '0' },
        });
        assert.equal(response.status, 200, response.body.toString());
        assert.equal(response.json().package.state, 'finalized');
      });

      it('reports a required body as missing', async () => {
        const before = await http.snapshot();
        const response = await http.request('POST', '/v1/packages', jsonBody(''));
        const problem = assertProblem(response, 400, 'INVALID_ARGUMENT');
        assert.equal(problem.field, 'body');
        assert.match(problem.detail, /request body is missing/);
        assert.match(problem.detail, /fields name, producer and subject/);
        assert.deepEqual(await http.snapshot(), before);
      });

      it('still rejects a __proto__ key', async () => {
        const before = await http.snapshot();
        const body = '{"name":"a","producer":"b","subject":"c","__proto__":{"admin":true}}';
        const response = await http.request('POST', '/v1/packages', jsonBody(body));
        const problem = assertProblem(response, 400, 'INVALID_ARGUMENT');
        assert.match(problem.detail, /"__proto__"/);
        assert.deepEqual(await http.snapshot(), before);
      });
    });

    describe('invalid JSON', () => {
      it('states the reason and position', async () => {
        const response = await http.request('POST', '/v1/packages', jsonBody('{"name" "app"}'));
        const problem = assertProblem(response, 400, 'INVALID_ARGUMENT');
        assert.match(problem.detail, /request body is not valid JSON/);
        assert.match(problem.detail, /at position 8/);
        assert.match(problem.reason, /at position 8/);
        assert.match(
          problem.detail,
          /send a JSON object with the fields name, producer and subject/,
        );
      });

      it('says finalize reads no body', async () => {
        const pkg = await http.createPackage();
        const url = `/v1/packages/${pkg.id}/finalize`;
        const response = await http.request('POST', url, jsonBody('{"a":'));
        const problem = assertProblem(response, 400, 'INVALID_ARGUMENT');
        assert.match(problem.detail, /request body is not valid JSON \(Unexpected end/);
        assert.match(problem.detail, /reads no body, so send none/);
      });
    });

    describe('path parameter length', () => {
      const long = 'Z'.repeat(300);
      const cases: Array<[string, string]> = [
        [`/v1/packages/${long}`, 'params.id'],
        [`/v1/packages/${long}/files/a.bin`, 'params.id'],
        [`/v1/objects/${long}`, 'params.digest'],
      ];
      for (const [url, field] of cases) {
        it(`names ${field} in ${url.replace(long, '<300 chars>')}`, async () => {
          const problem = assertProblem(await http.request('GET', url), 400, 'INVALID_ARGUMENT');
          assert.equal(problem.field, field);
          assert.equal(problem.length, 300);
          assert.equal(problem.limit, 100);
          assert.ok(problem.detail.includes(`invalid ${field}`), problem.detail);
          assert.match(problem.detail, /300 characters long, over the limit of 100/);
        });
      }

      it('passes a 1024-byte file path to the route', async () => {
        const pkg = await http.createPackage();
        const path = `${'€'.repeat(341)}x`;
        assert.equal(Buffer.byteLength(path), 1024);
        const response = await http.upload(pkg.id, encodeURIComponent(path), 'bytes');
        assert.equal(response.status, 201, response.body.toString());
        assert.equal(response.json().path, path);
      });
    });

    describe('unsupported Content-Type', () => {
      for (const contentType of ['text/plain; charset=utf-8', 'text/plain; charset', 'foo']) {
        it(`quotes ${contentType}`, async () => {
          const pkg = await http.createPackage();
          const routes = ['/v1/packages', `/v1/packages/${pkg.id}/finalize`];
          for (const url of routes) {
            const response = await http.request('POST', url, {
              body: '{}',
              headers: { 'content-type': contentType },
            });
            const problem = assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
            assert.equal(problem.value, contentType);
            assert.ok(problem.detail.includes(JSON.stringify(contentType)), problem.detail);
            assert.match(problem.detail, /send .*application\/json/);
          }
        });
      }

      it('names a body without Content-Type', async () => {
        const response = await http.request('POST', '/v1/packages', { body: '{}' });
        const problem = assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
        assert.equal(problem.value, null);
        assert.match(problem.detail, /has a body but no Content-Type/);
      });
    });
  });
}
