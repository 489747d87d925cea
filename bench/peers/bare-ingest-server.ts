/**
 * Bare `node:http` ingest server: the ceiling for a Node ingest path. A PUT body streams through
 * the same BLAKE3 binding as the product into an exclusive temp file, which is fsynced, renamed
 * to its digest and followed by an fsync of the directory. No framework, no database.
 *
 * Usage: node --import tsx bench/peers/bare-ingest-server.ts DIR
 * Prints `listening on http://127.0.0.1:PORT` on stdout; stops on SIGTERM or SIGINT.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { syncPath } from '../../src/fs/sync-path.js';

class HashingPassThrough extends Transform {
  readonly hasher = new Blake3Hasher();
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hasher.update(chunk);
    this.size += chunk.byteLength;
    done(null, chunk);
  }
}

async function ingest(root: string, request: IncomingMessage): Promise<object> {
  const tempPath = join(root, 'tmp', randomUUID());
  const hashing = new HashingPassThrough();
  // `flush: true` fsyncs the file before the stream closes, which pipeline waits for.
  const sink = createWriteStream(tempPath, { flags: 'wx', mode: 0o600, flush: true });
  await pipeline(request, hashing, sink);
  const hex = hashing.hasher.digest('hex');
  await rename(tempPath, join(root, 'objects', hex));
  await syncPath(join(root, 'objects'));
  return { digest: `blake3:${hex}`, size: hashing.size };
}

function handle(root: string, request: IncomingMessage, response: ServerResponse): void {
  if (request.method !== 'PUT') {
    response.writeHead(405).end();
    return;
  }
  ingest(root, request).then(
    (result) => {
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(JSON.stringify(result));
    },
    (err: Error) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`ingest failed: ${err.message}`);
    },
  );
}

const root = process.argv[2];
if (root === undefined) {
  console.error('usage: bare-ingest-server.ts DIR');
  process.exit(2);
}
mkdirSync(join(root, 'tmp'), { recursive: true });
mkdirSync(join(root, 'objects'), { recursive: true });
const server = createServer((request, response) => handle(root, request, response));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening on http://127.0.0.1:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
