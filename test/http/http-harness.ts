import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Pool, type Dispatcher } from 'undici';
import { createLogger } from '../../src/logging/logger.js';
import { startServer } from '../../src/http/server.js';
import type { Registry } from '../../src/registry/registry.js';
import { dumpTables } from '../support/dump-views.js';
import { createTestStore, type TestDatabaseKind, type TestStore } from '../support/test-store.js';

/** Parsed JSON of a response, read field by field without declaring each shape. */
// biome-ignore lint/suspicious/noExplicitAny: tests read response JSON loosely and assert on it
export type Loose = any;

/** A response read in full. */
export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body parsed as JSON; throws when it is not JSON. */
  json(): Loose;
}

/** Options of one request. */
export interface TestRequest {
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** What must not change when a request is rejected: the event log, packages, files, objects. */
export interface StoreSnapshot {
  events: unknown[];
  packages: unknown[];
  files: Record<string, unknown[]>;
  storedFiles: string[];
  tables: string;
}

/** A running server over a scratch store, with an HTTP client that sends paths unmodified. */
export class HttpHarness {
  readonly store: TestStore;
  readonly registry: Registry;
  readonly server: FastifyInstance;
  readonly url: string;
  readonly logLines: Array<Record<string, unknown>>;
  readonly #pool: Pool;

  private constructor(
    store: TestStore,
    registry: Registry,
    server: FastifyInstance,
    url: string,
    logLines: Array<Record<string, unknown>>,
  ) {
    this.store = store;
    this.registry = registry;
    this.server = server;
    this.url = url;
    this.logLines = logLines;
    this.#pool = new Pool(url, { connections: 4 });
  }

  /**
   * Starts a server on 127.0.0.1 port 0 over a new store on `database` (its own PostgreSQL
   * schema, or its own SQLite file); logs are kept in `logLines`.
   */
  static async start(
    database: TestDatabaseKind,
    env: Record<string, string> = {},
  ): Promise<HttpHarness> {
    const store = await createTestStore(database, {
      ARTIFACTSTORE_HOST: '127.0.0.1',
      ARTIFACTSTORE_PORT: '0',
      ...env,
    });
    const logLines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n')) {
          if (line !== '') logLines.push(JSON.parse(line));
        }
        done();
      },
    });
    const logger = createLogger('info', sink);
    try {
      const registry = await store.open();
      const { server, url } = await startServer({ registry, config: store.config, logger });
      return new HttpHarness(store, registry, server, url, logLines);
    } catch (err) {
      await store.cleanup();
      throw err;
    }
  }

  /** Sends one request with `path` exactly as given (no dot-segment removal, no re-encoding). */
  async request(method: string, path: string, options: TestRequest = {}): Promise<TestResponse> {
    const response = await this.#pool.request({
      method: method as Dispatcher.HttpMethod,
      path,
      headers: options.headers,
      body: options.body,
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    return {
      status: response.statusCode,
      headers: response.headers,
      body,
      json: () => JSON.parse(body.toString('utf8')),
    };
  }

  /** Creates an open package and returns its record. */
  async createPackage(overrides: Record<string, unknown> = {}): Promise<Loose> {
    const body = { name: 'app', producer: 'ci', subject: 'build-1', ...overrides };
    const response = await this.request('POST', '/v1/packages', jsonBody(body));
    if (response.status !== 201) throw new Error(`create failed: ${response.body.toString()}`);
    return response.json();
  }

  /** Uploads `bytes` to `path` of a package and returns the response. */
  async upload(
    packageId: string,
    path: string,
    bytes: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<TestResponse> {
    return this.request('PUT', `/v1/packages/${packageId}/files/${path}`, { body: bytes, headers });
  }

  /** Captures the observable state of the store. */
  async snapshot(): Promise<StoreSnapshot> {
    const events = (await this.request('GET', '/v1/events?limit=1000')).json().items;
    const packages = (await this.request('GET', '/v1/packages?limit=1000')).json().items;
    const files: Record<string, unknown[]> = {};
    for (const pkg of packages) {
      files[pkg.id] = (await this.request('GET', `/v1/packages/${pkg.id}/files`)).json().items;
    }
    const tables = await dumpTables(this.registry.database.db, true);
    return { events, packages, files, storedFiles: await this.listStorage(), tables };
  }

  /** Lists every file under the storage root, relative to it. */
  async listStorage(subdirectory = ''): Promise<string[]> {
    const root = join(this.store.config.storage.localRoot, subdirectory);
    try {
      const entries = await readdir(root, { recursive: true, withFileTypes: true });
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(root.length))
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Closes the client, the server (and so the registry), and removes the store. */
  async close(): Promise<void> {
    await this.#pool.close();
    await this.server.close();
    await this.store.cleanup();
  }
}

/** Request options sending `value` as a JSON body. */
export function jsonBody(value: unknown, headers: Record<string, string> = {}): TestRequest {
  return {
    body: typeof value === 'string' ? value : JSON.stringify(value),
    headers: { 'content-type': 'application/json', ...headers },
  };
}

/** Asserts that `response` is a problem document with `status` and `code`, and returns it. */
export function assertProblem(response: TestResponse, status: number, code: string): Loose {
  const problem = response.json();
  assert.equal(response.status, status, `status of ${JSON.stringify(problem)}`);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  assert.equal(problem.code, code, `code of ${JSON.stringify(problem)}`);
  assert.equal(problem.status, status);
  assert.equal(
    problem.type,
    `https://artifactstore.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
  );
  assert.equal(typeof problem.title, 'string');
  assert.equal(typeof problem.detail, 'string');
  assert.equal(typeof problem.instance, 'string');
  assert.equal(problem.requestId, response.headers['x-request-id']);
  return problem;
}
