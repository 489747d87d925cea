import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../../src/config/version.js';
import {
  type CliStore,
  createCliStore,
  parseJson,
  runCli,
  writeSampleTree,
} from './cli-harness.js';
import { TEST_DATABASES } from '../support/test-store.js';

// Version, configuration and usage errors open no database, so these suites run once.
describe('cli version', () => {
  it('prints the version as text', async () => {
    const result = await runCli(['version'], {});
    assert.equal(result.status, 0, result.err);
    assert.equal(result.out, `artifactstore ${VERSION} (Node.js ${process.version})\n`);
  });

  it('prints the version as JSON', async () => {
    const result = await runCli(['--json', 'version'], {});
    assert.equal(result.status, 0, result.err);
    assert.deepEqual(parseJson(result), {
      name: 'artifactstore',
      version: VERSION,
      node: process.version,
    });
  });
});

for (const database of TEST_DATABASES) {
  describe(`cli migrate, health and replay on ${database.kind}`, { skip: database.skip }, () => {
    let store: CliStore;

    before(async () => {
      store = await createCliStore(database.kind);
    });

    after(async () => {
      await store.cleanup();
    });

    it('reports degraded health before migration', async () => {
      const result = await runCli(['health'], store.env);
      assert.equal(result.status, 7, result.err);
      assert.deepEqual(parseJson(result), {
        status: 'degraded',
        db: 'unavailable',
        backend: 'ok',
        version: VERSION,
      });
      assert.match(result.err, /^artifactstore: store .* is degraded: database unavailable/);
    });

    it('applies migrations on a fresh directory', async () => {
      const result = await runCli(['migrate'], store.env);
      assert.equal(result.status, 0, result.err);
      assert.equal(result.out, '0001-initial  up  Success\n');
    });

    it('reports an up-to-date schema on a second run', async () => {
      const result = await runCli(['migrate'], store.env);
      assert.equal(result.status, 0, result.err);
      assert.equal(result.out, 'database schema is up to date\n');
    });

    it('reports ok health after migration', async () => {
      const result = await runCli(['health'], store.env);
      assert.equal(result.status, 0, result.err);
      assert.deepEqual(parseJson(result), {
        status: 'ok',
        db: 'ok',
        backend: 'ok',
        version: VERSION,
      });
    });

    it('prints the last sequence after replay', async () => {
      const tree = join(store.dir, 'tree');
      await writeSampleTree(tree);
      const push = await runCli(
        ['push', tree, '--name', 'n', '--producer', 'p', '--subject', 's'],
        store.env,
      );
      assert.equal(push.status, 0, push.err);

      // One event for the package, one per file (6), one for finalize.
      const result = await runCli(['replay'], store.env);
      assert.equal(result.status, 0, result.err);
      assert.equal(result.out, 'replayed 8 events, last sequence 8\n');
    });

    it('drops all data with migrate --fresh', async () => {
      const result = await runCli(['--json', 'migrate', '--fresh'], store.env);
      assert.equal(result.status, 0, result.err);
      assert.deepEqual(parseJson(result), {
        migrations: [
          { migrationName: '0001-initial', direction: 'Down', status: 'Success' },
          { migrationName: '0001-initial', direction: 'Up', status: 'Success' },
        ],
      });
      const listed = await runCli(['--json', 'ls'], store.env);
      assert.equal(listed.status, 0, listed.err);
      assert.deepEqual(parseJson(listed), { items: [], nextCursor: null });
    });
  });
}

describe('cli configuration and usage errors', () => {
  it('exits 78 with one line for an invalid setting', async () => {
    const result = await runCli(['ls'], { ARTIFACTSTORE_PORT: 'abc' });
    assert.equal(result.status, 78);
    assert.equal(
      result.err,
      'artifactstore: invalid ARTIFACTSTORE_PORT="abc": expected an integer from 0 to 65535\n',
    );
    assert.equal(result.out, '');
  });

  it('prints an invalid setting as JSON with --json', async () => {
    const result = await runCli(['ls', '--json'], { ARTIFACTSTORE_PORT: 'abc' });
    assert.equal(result.status, 78);
    assert.deepEqual(JSON.parse(result.err), {
      error: {
        code: 'INVALID_CONFIG',
        message: 'invalid ARTIFACTSTORE_PORT="abc": expected an integer from 0 to 65535',
        details: { variable: 'ARTIFACTSTORE_PORT', value: 'abc' },
      },
    });
  });

  it('exits 2 for a missing required option', async () => {
    const result = await runCli(['push', '.', '--producer', 'p', '--subject', 's'], {});
    assert.equal(result.status, 2);
    assert.match(result.err, /^artifactstore: required option '--name <name>' not specified/);
  });

  it('exits 2 for an unknown command', async () => {
    const result = await runCli(['frobnicate'], {});
    assert.equal(result.status, 2);
    assert.match(result.err, /unknown command 'frobnicate'/);
  });

  it('exits 2 without a command', async () => {
    const result = await runCli([], {});
    assert.equal(result.status, 2);
    assert.match(result.err, /Usage: artifactstore/);
  });

  it('exits 0 for --help', async () => {
    const result = await runCli(['push', '--help'], {});
    assert.equal(result.status, 0, result.err);
    assert.match(result.out, /--concurrency <n>/);
  });
});
