import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { appendFile, mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FileRecord } from '../../src/registry/records.js';
import { startServerProcess, type ServerProcess } from '../support/processes.js';
import {
  type CliStore,
  collect,
  createCliStore,
  parseJson,
  runCli,
  startCli,
} from './cli-harness.js';

const LABELS = ['--name', 'changing', '--producer', 'ci', '--subject', 'build-1'];

/** A multiple of the 64 KiB chunks a file is read in, so the last chunk ends at the size. */
const FILE_SIZE = 1024 * 1024;

/** Maximum duration of one CLI run in this suite. */
const RUN_TIMEOUT_MS = 30_000;

interface ErrorOutput {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** What the proxy does besides forwarding. */
interface ProxyHooks {
  /** Runs once the server created a package, before the CLI gets the response. */
  afterCreate?: () => Promise<void>;
  /** Holds every upload without forwarding it or sending a response. */
  holdUploads?: boolean;
}

/**
 * An HTTP proxy in front of the server. Its hooks run between the walk of the pushed directory
 * and the first upload, which makes a file change at a known point of the push.
 */
class HookingProxy {
  readonly url: string;
  readonly events = new EventEmitter();
  hooks: ProxyHooks = {};
  readonly #server: Server;
  readonly #held: ServerResponse[] = [];

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  static async start(target: string): Promise<HookingProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const proxy = new HookingProxy(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => proxy.#forward(req, res, target));
    return proxy;
  }

  #forward(req: IncomingMessage, res: ServerResponse, target: string): void {
    if (req.method === 'PUT' && this.hooks.holdUploads === true) {
      this.#held.push(res);
      req.resume();
      this.events.emit('upload');
      return;
    }
    const created = req.method === 'POST' && req.url === '/v1/packages';
    const url = new URL(req.url ?? '/', target);
    const upstream = request(url, { method: req.method, headers: req.headers }, (response) => {
      const hook = (created ? this.hooks.afterCreate?.() : undefined) ?? Promise.resolve();
      hook.then(
        () => {
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        },
        // A failed hook shows up in the test as a push that lost its connection.
        () => res.destroy(),
      );
    });
    upstream.on('error', () => res.destroy());
    // A client that gives up on an upload must not leave the server waiting for the body.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  async close(): Promise<void> {
    for (const res of this.#held) res.destroy();
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }
}

function parseError(stderr: string): ErrorOutput['error'] {
  const line = stderr.trim().split('\n').at(-1) ?? '';
  try {
    return (JSON.parse(line) as ErrorOutput).error;
  } catch {
    throw new Error(`stderr does not end with a JSON error: ${stderr}`);
  }
}

// The changes under test happen on the client side, so the server runs on SQLite only.
describe('cli push of files that change during the push', () => {
  let store: CliStore;
  let client: CliStore;
  let server: ServerProcess;
  let proxy: HookingProxy;
  let tree: string;
  let changing: string;

  before(async () => {
    store = await createCliStore('sqlite');
    client = await createCliStore('sqlite');
    const migrated = await runCli(['migrate'], store.env);
    assert.equal(migrated.status, 0, migrated.err);
    server = await startServerProcess(store.env);
    proxy = await HookingProxy.start(server.url);
    tree = join(client.dir, 'tree');
    changing = join(tree, 'changing.bin');
  });

  beforeEach(async () => {
    proxy.hooks = {};
    await rm(tree, { recursive: true, force: true });
    await writeTree();
  });

  after(async () => {
    await proxy?.close();
    await server?.stop();
    await Promise.all([store?.cleanup(), client?.cleanup()]);
  });

  async function writeTree(): Promise<void> {
    await mkdir(tree, { recursive: true });
    await writeFile(join(tree, 'stable.txt'), 'stable\n');
    await writeFile(changing, Buffer.alloc(FILE_SIZE, 7));
  }

  async function push(): Promise<{ status: number | null; error: ErrorOutput['error'] }> {
    const args = ['--json', 'push', tree, ...LABELS, '--server', proxy.url, '--no-progress'];
    const result = await runCli(args, client.env, undefined, RUN_TIMEOUT_MS);
    return { status: result.status, error: parseError(result.err) };
  }

  async function listFiles(packageId: string): Promise<string[]> {
    const args = ['--json', 'show', packageId, '--server', server.url];
    const result = await runCli(args, client.env, undefined, RUN_TIMEOUT_MS);
    assert.equal(result.status, 0, result.err);
    return parseJson<{ files: FileRecord[] }>(result).files.map((file) => file.path);
  }

  it('exits 4 with SIZE_MISMATCH for a file that grew', async () => {
    proxy.hooks.afterCreate = () => appendFile(changing, Buffer.alloc(FILE_SIZE, 8));
    const { status, error } = await push();
    assert.equal(status, 4, error.message);
    assert.equal(error.code, 'SIZE_MISMATCH');
    assert.match(error.message, /^upload of "changing\.bin" failed: .*changing\.bin changed size/);
    assert.match(error.message, /expected 1048576 bytes, .* but read at least \d+/);
    assert.match(error.message, /push again once the file no longer changes$/);
    assert.equal(error.details.path, 'changing.bin');
    assert.equal(error.details.expected, FILE_SIZE);
    assert.match(String(error.details.packageId), /^[0-9A-Z]{26}$/);
    // The server never got the whole declared body, so it stored no part of the grown file.
    assert.ok(!(await listFiles(String(error.details.packageId))).includes('changing.bin'));
  });

  it('exits 4 with SIZE_MISMATCH for a file that shrank', async () => {
    proxy.hooks.afterCreate = () => truncate(changing, FILE_SIZE / 2);
    const { status, error } = await push();
    assert.equal(status, 4, error.message);
    assert.equal(error.code, 'SIZE_MISMATCH');
    assert.match(error.message, /expected 1048576 bytes, .* but read only 524288;/);
    assert.equal(error.details.actual, FILE_SIZE / 2);
    assert.match(String(error.details.packageId), /^[0-9A-Z]{26}$/);
  });

  it('adds packageId to the error of a file removed during the push', async () => {
    proxy.hooks.afterCreate = () => rm(changing);
    const { status, error } = await push();
    assert.equal(status, 1, error.message);
    assert.equal(error.code, 'INTERNAL');
    assert.match(error.message, /^upload of "changing\.bin" failed: ENOENT/);
    assert.match(String(error.details.packageId), /^[0-9A-Z]{26}$/);
    assert.ok(!(await listFiles(String(error.details.packageId))).includes('changing.bin'));
  });

  it('adds packageId to the error of a push cancelled by SIGINT', async () => {
    proxy.hooks.holdUploads = true;
    const args = ['--json', 'push', tree, ...LABELS, '--server', proxy.url, '--no-progress'];
    const uploading = once(proxy.events, 'upload', { signal: AbortSignal.timeout(RUN_TIMEOUT_MS) });
    const child = startCli(args, client.env);
    const exit = collect(child, RUN_TIMEOUT_MS);
    await uploading;
    child.kill('SIGINT');
    const result = await exit;
    assert.equal(result.status, 130, result.err);
    const error = parseError(result.err);
    assert.equal(error.code, 'CANCELLED');
    assert.match(String(error.details.packageId), /^[0-9A-Z]{26}$/);
    assert.match(result.err, new RegExp(`--resume ${error.details.packageId}`));
  });
});
