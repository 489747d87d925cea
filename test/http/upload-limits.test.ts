import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { HttpHarness, assertProblem } from './http-harness.js';
import { TEST_DATABASES } from '../support/test-store.js';

const MIB = 1024 * 1024;
const LIMIT = 4 * MIB;

/** Opens a raw TCP connection to the harness, so a test controls every byte and the disconnect. */
async function openSocket(http: HttpHarness): Promise<Socket> {
  const { hostname, port } = new URL(http.url);
  const socket = connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Collects what the server sends until it closes the connection or `timeoutMs` passes. */
async function readUntilClosed(socket: Socket, timeoutMs: number): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  await new Promise((resolve) => socket.once('close', resolve));
  clearTimeout(timer);
  return Buffer.concat(chunks).toString('latin1');
}

async function pollUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(25);
  }
  return check();
}

for (const database of TEST_DATABASES) {
  describe(`HTTP upload limits and disconnects on ${database.kind}`, {
    skip: database.skip,
  }, () => {
    let http: HttpHarness;
    let packageId: string;

    before(async () => {
      http = await HttpHarness.start(database.kind, {
        ARTIFACTSTORE_MAX_UPLOAD_BYTES: String(LIMIT),
      });
      packageId = (await http.createPackage()).id;
    });

    after(async () => {
      await http?.close();
    });

    it('rejects a declared length over the limit before the body', async () => {
      const before = await http.snapshot();
      const socket = await openSocket(http);
      socket.write(
        `PUT /v1/packages/${packageId}/files/big.bin HTTP/1.1\r\n` +
          'Host: 127.0.0.1\r\n' +
          `Content-Length: ${LIMIT + 1}\r\n\r\n`,
      );
      const response = await readUntilClosed(socket, 5000);
      assert.match(response, /^HTTP\/1\.1 413 /);
      assert.match(response, /\r\ncontent-type: application\/problem\+json/i);
      assert.match(response, /\r\nconnection: close\r\n/i);
      assert.match(response, /"code":"PAYLOAD_TOO_LARGE"/);
      assert.deepEqual(await http.snapshot(), before);
    });

    it('rejects a chunked body once it passes the limit', async () => {
      const before = await http.snapshot();
      const socket = await openSocket(http);
      socket.on('error', () => {});
      socket.write(
        `PUT /v1/packages/${packageId}/files/chunked.bin HTTP/1.1\r\n` +
          'Host: 127.0.0.1\r\n' +
          'Transfer-Encoding: chunked\r\n\r\n',
      );
      const chunk = Buffer.alloc(MIB, 7);
      for (let sent = 0; sent <= LIMIT; sent += chunk.length) {
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write('\r\n');
      }
      const response = await readUntilClosed(socket, 5000);
      assert.match(response, /^HTTP\/1\.1 413 /);
      assert.match(response, /"code":"PAYLOAD_TOO_LARGE"/);
      assert.ok(await pollUntil(async () => (await http.listStorage('tmp')).length === 0, 5000));
      assert.deepEqual(await http.snapshot(), before);
    });

    it('accepts a body exactly at the limit', async () => {
      const response = await http.upload(packageId, 'exact.bin', Buffer.alloc(LIMIT, 1));
      assert.equal(response.status, 201);
      assert.equal(response.json().size, LIMIT);
    });

    it('discards an upload whose client disconnects', async () => {
      const before = await http.snapshot();
      const socket = await openSocket(http);
      socket.write(
        `PUT /v1/packages/${packageId}/files/abandoned.bin HTTP/1.1\r\n` +
          'Host: 127.0.0.1\r\n' +
          `Content-Length: ${3 * MIB}\r\n\r\n`,
      );
      socket.write(Buffer.alloc(MIB, 9));

      // The ingest has started once its temp file exists; only then is the disconnect meaningful.
      const started = await pollUntil(async () => (await http.listStorage('tmp')).length > 0, 5000);
      assert.ok(started, 'a temp file appears while the body streams in');
      socket.destroy();

      const cleaned = await pollUntil(
        async () => (await http.listStorage('tmp')).length === 0,
        5000,
      );
      assert.ok(cleaned, 'the temp file is removed');
      assert.deepEqual(await http.snapshot(), before);
      const files = await http.request('GET', `/v1/packages/${packageId}/files/abandoned.bin`);
      assertProblem(files, 404, 'FILE_NOT_FOUND');

      const aborted = await pollUntil(
        async () => http.logLines.some((line) => line.code === 'UPLOAD_ABORTED'),
        5000,
      );
      assert.ok(aborted, 'the abort is logged with its code');
    });
  });
}
