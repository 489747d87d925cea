import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FileRecord, PackageRecord } from '../../src/registry/records.js';
import { TEST_DATABASES } from '../support/test-store.js';
import {
  type CliStore,
  createCliStore,
  parseJson,
  runCli,
  SAMPLE_FILES,
  writeSampleTree,
} from './cli-harness.js';

const LABELS = ['--name', 'sample', '--producer', 'ci', '--subject', 'build-1'];

interface Shown {
  package: PackageRecord;
  files: FileRecord[];
}

// The source is always a SQLite store; the loop varies the store that the export is imported into.
for (const database of TEST_DATABASES) {
  describe(`cli event export into ${database.kind}`, { skip: database.skip }, () => {
    let source: CliStore;
    let target: CliStore;
    let targetEnv: Record<string, string>;
    let exportFile: string;
    let packageId: string;

    before(async () => {
      source = await createCliStore('sqlite');
      target = await createCliStore(database.kind);
      // The import carries events only; sharing the storage directory makes the bytes readable.
      targetEnv = { ...target.env, ARTIFACTSTORE_STORAGE_LOCAL_ROOT: join(source.dir, 'storage') };
      exportFile = join(source.dir, 'events.ndjson');
      const tree = join(source.dir, 'tree');
      await writeSampleTree(tree);
      const pushed = await runCli(['--json', 'push', tree, ...LABELS], source.env);
      assert.equal(pushed.status, 0, pushed.err);
      packageId = parseJson<{ packageId: string }>(pushed).packageId;
    });

    after(async () => {
      await target?.cleanup();
      await source?.cleanup();
    });

    it('exports the event log to a file', async () => {
      const result = await runCli(['--json', 'export-events', exportFile], source.env);
      assert.equal(result.status, 0, result.err);
      // One event for the package, one per file, one for finalize.
      const events = SAMPLE_FILES.length + 2;
      assert.deepEqual(parseJson(result), { file: exportFile, events, lastSeq: events });
      const lines = (await readFile(exportFile, 'utf8')).trimEnd().split('\n');
      assert.equal(lines.length, events + 1);
      assert.deepEqual(JSON.parse(lines[0] as string), {
        count: events,
        format: 'artifactstore-events',
        version: 1,
      });
      const leftovers = (await readdir(source.dir)).filter((name) => name.endsWith('.tmp'));
      assert.deepEqual(leftovers, []);
    });

    it('writes the same export to stdout', async () => {
      const result = await runCli(['export-events', '-'], source.env);
      assert.equal(result.status, 0, result.err);
      assert.ok(result.stdout.equals(await readFile(exportFile)));
      assert.match(result.err, /^exported 8 events, last sequence 8, to stdout\n$/);
    });

    it('imports the export and shows the package', async () => {
      const result = await runCli(['import-events', exportFile], targetEnv);
      assert.equal(result.status, 0, result.err);
      assert.equal(result.out, `imported 8 events, last sequence 8, from ${exportFile}\n`);

      const before = parseJson<Shown>(await runCli(['--json', 'show', packageId], source.env));
      const shown = await runCli(['--json', 'show', packageId], targetEnv);
      assert.equal(shown.status, 0, shown.err);
      assert.deepEqual(parseJson<Shown>(shown), before);

      const cat = await runCli(['cat', packageId, 'README.txt'], targetEnv);
      assert.equal(cat.status, 0, cat.err);
      assert.equal(cat.out, 'sample package\n');
    });

    it('rejects an import into a store that is not empty', async () => {
      const input = await readFile(exportFile);
      const result = await runCli(['--json', 'import-events', '-'], targetEnv, input);
      assert.equal(result.status, 5);
      const { error } = JSON.parse(result.err) as { error: { code: string } };
      assert.equal(error.code, 'STORE_NOT_EMPTY');
    });
  });
}

describe('cli event import from stdin and bad files', () => {
  let source: CliStore;
  let target: CliStore;

  before(async () => {
    source = await createCliStore('sqlite');
    target = await createCliStore('sqlite');
    const tree = join(source.dir, 'tree');
    await writeSampleTree(tree);
    const pushed = await runCli(['push', tree, ...LABELS], source.env);
    assert.equal(pushed.status, 0, pushed.err);
  });

  after(async () => {
    await target?.cleanup();
    await source?.cleanup();
  });

  it('imports from stdin', async () => {
    const exported = await runCli(['export-events', '-'], source.env);
    assert.equal(exported.status, 0, exported.err);
    const result = await runCli(['--json', 'import-events', '-'], target.env, exported.stdout);
    assert.equal(result.status, 0, result.err);
    assert.deepEqual(parseJson(result), { file: 'stdin', events: 8, lastSeq: 8 });
    const listed = await runCli(['--json', 'ls'], target.env);
    assert.equal(parseJson<{ items: PackageRecord[] }>(listed).items.length, 1);
  });

  it('exits 6 for a missing input file', async () => {
    const missing = join(target.dir, 'missing.ndjson');
    const result = await runCli(['import-events', missing], target.env);
    assert.equal(result.status, 6);
    assert.match(result.err, /cannot read the event export ".*missing\.ndjson" \(ENOENT\)/);
  });

  it('exits 6 for an output directory that does not exist', async () => {
    const result = await runCli(['export-events', join(source.dir, 'no', 'x')], source.env);
    assert.equal(result.status, 6);
    assert.match(result.err, /cannot write the event export next to .* \(ENOENT\)/);
  });

  it('exits 6 for a truncated export and imports nothing', async () => {
    const fresh = await createCliStore('sqlite');
    try {
      const exported = await runCli(['export-events', '-'], source.env);
      const lines = exported.out.split('\n');
      const truncated = Buffer.from(`${lines.slice(0, 4).join('\n')}\n`);
      const result = await runCli(['import-events', '-'], fresh.env, truncated);
      assert.equal(result.status, 6);
      assert.match(result.err, /header announces 8 events but the file holds 3/);
      const listed = await runCli(['--json', 'ls'], fresh.env);
      assert.deepEqual(parseJson(listed), { items: [], nextCursor: null });
    } finally {
      await fresh.cleanup();
    }
  });

  it('exits 6 with --server', async () => {
    const result = await runCli(['export-events', '-', '--server', 'http://127.0.0.1:9'], {
      ...source.env,
    });
    assert.equal(result.status, 6);
    assert.match(result.err, /export-events works only on the local store/);
  });
});
