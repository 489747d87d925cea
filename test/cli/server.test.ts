import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../../src/config/version.js';
import { digestOf } from '../../src/identity/hasher.js';
import type { FileRecord, PackageRecord, Page } from '../../src/registry/records.js';
import {
  type CliResult,
  type CliStore,
  collect,
  createCliStore,
  listTree,
  parseJson,
  readTreeFile,
  runCli,
  SAMPLE_FILES,
  startCli,
  writeSampleTree,
} from './cli-harness.js';
import { TEST_DATABASES } from '../support/test-store.js';

const LABELS = ['--name', 'sample', '--producer', 'ci', '--subject', 'build-1'];

/** Maximum wait for `serve` to print its address. */
const START_TIMEOUT_MS = 30_000;

/** Waits until `serve` prints `listening on URL` on stderr and returns the URL. */
async function waitForAddress(child: ChildProcess): Promise<string> {
  let seen = '';
  const timeout = AbortSignal.timeout(START_TIMEOUT_MS);
  for await (const chunk of child.stderr?.iterator({ destroyOnReturn: false }) ?? []) {
    seen += String(chunk);
    const match = /listening on (http:\/\/\S+)/.exec(seen);
    if (match) return match[1] as string;
    if (timeout.aborted) break;
  }
  throw new Error(`serve printed no address: ${seen}`);
}

for (const database of TEST_DATABASES) {
  describe(`cli against a server started with serve on ${database.kind}`, {
    skip: database.skip,
  }, () => {
    let store: CliStore;
    let client: CliStore;
    let server: ChildProcess;
    let serverExit: Promise<CliResult>;
    let url: string;
    let packageId: string;

    before(async () => {
      store = await createCliStore(database.kind);
      // The client's own store only has to stay empty, so it stays on SQLite.
      client = await createCliStore('sqlite');
      server = startCli(['serve', '--host', '127.0.0.1', '--port', '0'], store.env);
      url = await waitForAddress(server);
      serverExit = collect(server);
      await writeSampleTree(join(client.dir, 'tree'));
    });

    after(async () => {
      if (server.exitCode === null) server.kill('SIGKILL');
      await Promise.all([store.cleanup(), client.cleanup()]);
    });

    it('reports health as GET /health does', async () => {
      const result = await runCli(['health', '--server', url], client.env);
      assert.equal(result.status, 0, result.err);
      assert.deepEqual(parseJson(result), {
        status: 'ok',
        db: 'ok',
        backend: 'ok',
        version: VERSION,
      });
    });

    it('pushes a generated directory with --server', async () => {
      const tree = join(client.dir, 'tree');
      const result = await runCli(['--json', 'push', tree, ...LABELS, '--server', url], client.env);
      assert.equal(result.status, 0, result.err);
      const output = parseJson<{ packageId: string; files: number }>(result);
      assert.equal(output.files, SAMPLE_FILES.length);
      packageId = output.packageId;
    });

    it('pulls every file byte for byte with ARTIFACTSTORE_SERVER_URL', async () => {
      const target = join(client.dir, 'pulled');
      const env = { ...client.env, ARTIFACTSTORE_SERVER_URL: url };
      const result = await runCli(['pull', packageId, target], env);
      assert.equal(result.status, 0, result.err);
      assert.deepEqual(await listTree(target), SAMPLE_FILES.map((file) => file.path).sort());
      for (const file of SAMPLE_FILES) {
        assert.ok((await readTreeFile(target, file.path)).equals(file.content), file.path);
      }
    });

    it('stores nothing in the local store of the client', async () => {
      const result = await runCli(['--json', 'ls'], client.env);
      assert.equal(result.status, 0, result.err);
      assert.deepEqual(parseJson(result), { items: [], nextCursor: null });
    });

    it('lists, shows and reads through the server', async () => {
      const listed = parseJson<Page<PackageRecord>>(
        await runCli(['--json', 'ls', '--server', url], client.env),
      );
      assert.deepEqual(
        listed.items.map((pkg) => pkg.id),
        [packageId],
      );

      const shown = await runCli(['--json', 'show', packageId, '--server', url], client.env);
      const files = parseJson<{ files: FileRecord[] }>(shown).files;
      assert.deepEqual(
        files.map((file) => file.path).sort(),
        SAMPLE_FILES.map((file) => file.path).sort(),
      );

      const cbor = await runCli(
        ['manifest', packageId, '--format', 'cbor', '--server', url],
        client.env,
      );
      assert.equal(cbor.status, 0, cbor.err);
      assert.equal(digestOf(cbor.stdout), listed.items[0]?.manifestDigest);

      const unicode = await runCli(
        ['cat', packageId, 'ünïcødé/日本語 ファイル.txt', '--server', url],
        client.env,
      );
      assert.equal(unicode.status, 0, unicode.err);
      assert.equal(unicode.out, 'こんにちは\n');
    });

    it('rejects a path that leaves the package before sending it', async () => {
      // Once the URL resolved their ".." segments, the first would read README.txt through
      // another route and the second would reach the objects route.
      const paths = [`x/../../../${packageId}/files/README.txt`, '../../../objects/blake3:00'];
      for (const path of paths) {
        const result = await runCli(
          ['--json', 'cat', packageId, path, '--server', url],
          client.env,
        );
        assert.equal(result.status, 6, result.err);
        assert.equal(result.out, '');
        const { error } = JSON.parse(result.err) as { error: { code: string; details: unknown } };
        assert.equal(error.code, 'INVALID_PATH');
        assert.deepEqual(error.details, { path, rule: 'dot-segment' });
      }
    });

    it('exits 3 with the server error for an unknown package', async () => {
      const result = await runCli(
        ['--json', 'show', '01ARZ3NDEKTSV4RRFFQ69G5FAV', '--server', url],
        client.env,
      );
      assert.equal(result.status, 3);
      const { error } = JSON.parse(result.err) as { error: { code: string } };
      assert.equal(error.code, 'PACKAGE_NOT_FOUND');
    });

    it('exits 6 for a server URL that is not http', async () => {
      const result = await runCli(['ls', '--server', 'ftp://127.0.0.1/'], client.env);
      assert.equal(result.status, 6);
      assert.match(result.err, /invalid server URL "ftp:\/\/127\.0\.0\.1\/"/);
    });

    it('closes gracefully on SIGTERM', async () => {
      server.kill('SIGTERM');
      const exit = await serverExit;
      assert.equal(exit.status, 0, exit.err);
      assert.match(exit.err, /server closed/);
    });

    it('exits 7 once the server is gone', async () => {
      const result = await runCli(['ls', '--server', url], client.env);
      assert.equal(result.status, 7);
      assert.match(
        result.err,
        /cannot reach the server at http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED/,
      );
    });
  });
}

// The push is interrupted while it waits for a server, before any database is involved, so this
// suite runs on SQLite only.
describe('cli interrupted by SIGINT', () => {
  let store: CliStore;
  const sockets: Socket[] = [];
  // A server that accepts connections and never responds, so the push waits until interrupted.
  const silent = createServer((socket) => sockets.push(socket));

  before(async () => {
    store = await createCliStore('sqlite');
    await writeSampleTree(join(store.dir, 'tree'));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    silent.close();
    await store.cleanup();
  });

  it('exits 130 and says so', async () => {
    const address = silent.address() as { port: number };
    const server = `http://127.0.0.1:${address.port}`;
    const connected = once(silent, 'connection');
    const child = startCli(
      ['push', join(store.dir, 'tree'), ...LABELS, '--server', server],
      store.env,
    );
    const exit = collect(child);
    await connected;
    child.kill('SIGINT');
    const result = await exit;
    assert.equal(result.status, 130, result.err);
    assert.equal(result.err, 'artifactstore: cancelled by SIGINT\n');
  });
});

describe('serve on a port in use', () => {
  let store: CliStore;
  const occupant = createServer();

  before(async () => {
    store = await createCliStore('sqlite');
    occupant.listen(0, '127.0.0.1');
    await once(occupant, 'listening');
  });

  after(async () => {
    occupant.close();
    await store.cleanup();
  });

  it('exits 78 and names the fix', async () => {
    const { port } = occupant.address() as { port: number };
    const result = await runCli(
      ['serve', '--host', '127.0.0.1', '--port', String(port)],
      store.env,
    );
    assert.equal(result.status, 78, result.err);
    assert.match(result.err, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
    assert.match(result.err, /choose another port with --port or ARTIFACTSTORE_PORT/);
  });
});
