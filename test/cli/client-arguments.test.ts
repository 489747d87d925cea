import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { HttpClient } from '../../src/client/http-client.js';
import { LocalClient } from '../../src/client/local-client.js';
import type { StoreClient } from '../../src/client/store-client.js';
import { isStoreError, type StoreError } from '../../src/errors/store-error.js';
import type { Digest } from '../../src/identity/digest.js';
import type { RegistryApi } from '../../src/registry/registry-api.js';

const PACKAGE_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

/** Paths that a URL would resolve out of the package's files, and one that breaks another rule. */
const INVALID_PATHS = [
  '../x',
  `../../${PACKAGE_ID}/files/a/x`,
  '../../../objects/blake3:00',
  'a/./x',
  'a/..',
  '.',
  '',
  '/etc/passwd',
];

/** Creates a registry stub that records every call and rejects it. */
function untouchableRegistry(calls: string[]): RegistryApi {
  return new Proxy({} as RegistryApi, {
    get: (_target, name) => () => {
      calls.push(String(name));
      return Promise.reject(new Error(`registry.${String(name)} was called`));
    },
  });
}

function assertCode(code: string, detail: Record<string, unknown>) {
  return (err: unknown): boolean => {
    assert.ok(isStoreError(err), `expected a StoreError, got ${err}`);
    assert.equal((err as StoreError).code, code, (err as Error).message);
    for (const [key, value] of Object.entries(detail)) {
      assert.equal((err as StoreError).details[key], value, key);
    }
    return true;
  };
}

/** Runs every call that takes a file path or a package id with an invalid one. */
async function assertRejectsInvalidArguments(client: StoreClient): Promise<void> {
  for (const path of INVALID_PATHS) {
    await assert.rejects(client.openFile(PACKAGE_ID, path), assertCode('INVALID_PATH', { path }));
    const body = Readable.from([Buffer.from('x')]);
    const upload = client.uploadFile({ packageId: PACKAGE_ID, path, body, size: 1 });
    await assert.rejects(upload, assertCode('INVALID_PATH', { path }));
  }
  for (const packageId of ['.', '..']) {
    const invalid = assertCode('INVALID_ARGUMENT', { packageId });
    await assert.rejects(client.getPackage(packageId), invalid);
    await assert.rejects(client.finalize(packageId), invalid);
    await assert.rejects(client.listFiles(packageId, {}), invalid);
    await assert.rejects(client.getManifest(packageId, 'json'), invalid);
    await assert.rejects(client.openFile(packageId, 'a/x'), invalid);
    const body = Readable.from([Buffer.from('x')]);
    await assert.rejects(client.uploadFile({ packageId, path: 'a/x', body, size: 1 }), invalid);
  }
}

describe('HttpClient arguments', () => {
  const requests: string[] = [];
  let server: Server;
  let client: HttpClient;

  before(async () => {
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(500).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    client = new HttpClient({ server: `http://127.0.0.1:${port}`, actor: 'test' });
  });

  after(async () => {
    await client.close();
    server.close();
  });

  it('rejects invalid paths and ids without a request', async () => {
    await assertRejectsInvalidArguments(client);
    assert.deepEqual(requests, []);
  });

  it('rejects an invalid digest without a request', async () => {
    const digest = '..' as Digest;
    await assert.rejects(client.openObject(digest, 0), assertCode('INVALID_DIGEST', {}));
    assert.deepEqual(requests, []);
  });
});

describe('LocalClient arguments', () => {
  it('rejects invalid paths and ids without asking the registry', async () => {
    const calls: string[] = [];
    const client = new LocalClient(untouchableRegistry(calls), { target: 'test', actor: 'test' });
    await assertRejectsInvalidArguments(client);
    assert.deepEqual(calls, []);
  });
});
