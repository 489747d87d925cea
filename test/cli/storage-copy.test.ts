import assert from 'node:assert/strict';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestHex, formatDigest } from '../../src/identity/digest.js';
import { digestOf } from '../../src/identity/hasher.js';
import { NEW_LOCAL_LAYOUT_VERSION, objectKey } from '../../src/storage/layout.js';
import { type TestS3Server, startTestS3Server } from '../../src/storage/s3/s3rver-test-server.js';
import { TEST_DATABASES } from '../support/test-store.js';
import {
  type CliStore,
  createCliStore,
  listTree,
  parseJson,
  readTreeFile,
  runCli,
  SAMPLE_FILES,
  writeSampleTree,
} from './cli-harness.js';

const LABELS = ['--name', 'sample', '--producer', 'ci', '--subject', 'build-1'];

interface CopyOutput {
  to: string;
  total: number;
  copied: number;
  bytes: number;
  failed: Array<{ digest: string; code: string; error: string }>;
}

/** Settings that point a store at the test S3 server, writing locally and reading both. */
function s3Env(s3: TestS3Server): Record<string, string> {
  return {
    ARTIFACTSTORE_S3_ENDPOINT: s3.endpoint,
    ARTIFACTSTORE_S3_BUCKET: s3.bucket,
    ARTIFACTSTORE_S3_REGION: s3.region,
    ARTIFACTSTORE_S3_ACCESS_KEY_ID: s3.accessKeyId,
    ARTIFACTSTORE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    ARTIFACTSTORE_STORAGE_BACKEND: 'local',
    ARTIFACTSTORE_STORAGE_BACKENDS: 'local,s3',
  };
}

/** Pushes the sample tree into the store and returns the package id. */
async function pushSample(store: CliStore, env: Record<string, string>): Promise<string> {
  const tree = join(store.dir, 'tree');
  await writeSampleTree(tree);
  const pushed = await runCli(['--json', 'push', tree, ...LABELS], env);
  assert.equal(pushed.status, 0, pushed.err);
  return parseJson<{ packageId: string }>(pushed).packageId;
}

for (const database of TEST_DATABASES) {
  describe(`cli storage copy on ${database.kind}`, { skip: database.skip }, () => {
    let s3: TestS3Server;
    let store: CliStore;
    let env: Record<string, string>;
    let packageId: string;

    before(async () => {
      s3 = await startTestS3Server();
      store = await createCliStore(database.kind);
      env = { ...store.env, ...s3Env(s3) };
      packageId = await pushSample(store, env);
    });

    after(async () => {
      await store?.cleanup();
      await s3?.close();
    });

    it('copies every object to s3', async () => {
      const result = await runCli(['--json', 'storage', 'copy', '--to', 's3'], env);
      assert.equal(result.status, 0, result.err);
      const report = parseJson<CopyOutput>(result);
      // Six distinct file contents plus the manifest.
      const bytes = SAMPLE_FILES.reduce((sum, file) => sum + file.content.length, 0);
      assert.equal(report.to, 's3');
      assert.equal(report.total, SAMPLE_FILES.length + 1);
      assert.equal(report.copied, SAMPLE_FILES.length + 1);
      assert.ok(report.bytes > bytes, `${report.bytes} bytes include the manifest`);
      assert.deepEqual(report.failed, []);
    });

    it('finds nothing to copy on a second run', async () => {
      const result = await runCli(['storage', 'copy', '--to', 's3', '--concurrency', '2'], env);
      assert.equal(result.status, 0, result.err);
      assert.match(result.out, /^copied 0 of 0 objects \(0 B\) to s3 in \d+\.\d s\n$/);
    });

    it('pulls every file from s3 alone', async () => {
      // Without the local storage directory, every byte must come from the bucket.
      await rm(join(store.dir, 'storage'), { recursive: true, force: true });
      const s3Only = {
        ...env,
        ARTIFACTSTORE_STORAGE_BACKEND: 's3',
        ARTIFACTSTORE_STORAGE_BACKENDS: 's3',
      };
      const target = join(store.dir, 'pulled');
      const result = await runCli(['pull', packageId, target], s3Only);
      assert.equal(result.status, 0, result.err);
      assert.deepEqual(await listTree(target), SAMPLE_FILES.map((file) => file.path).sort());
      for (const file of SAMPLE_FILES) {
        assert.ok((await readTreeFile(target, file.path)).equals(file.content), file.path);
      }
    });
  });
}

describe('cli storage copy failures', () => {
  let s3: TestS3Server;
  let store: CliStore;
  let env: Record<string, string>;

  before(async () => {
    s3 = await startTestS3Server();
    store = await createCliStore('sqlite');
    env = { ...store.env, ...s3Env(s3) };
    await pushSample(store, env);
  });

  after(async () => {
    await store?.cleanup();
    await s3?.close();
  });

  it('exits 6 for a backend that is not configured', async () => {
    const result = await runCli(['storage', 'copy', '--to', 'tape'], env);
    assert.equal(result.status, 6);
    assert.match(
      result.err,
      /storage backend "tape" is not configured; configured backends: local, s3/,
    );
  });

  it('exits 6 with --server or ARTIFACTSTORE_SERVER_URL', async () => {
    const flag = await runCli(
      ['storage', 'copy', '--to', 's3', '--server', 'http://127.0.0.1:9'],
      env,
    );
    assert.equal(flag.status, 6);
    assert.match(flag.err, /storage copy works only on the local store, not through a server/);
    assert.match(flag.err, /without --server\n$/);

    const variable = await runCli(['storage', 'copy', '--to', 's3'], {
      ...env,
      ARTIFACTSTORE_SERVER_URL: 'http://127.0.0.1:9',
    });
    assert.equal(variable.status, 6);
    assert.match(variable.err, /without ARTIFACTSTORE_SERVER_URL\n$/);
  });

  it('exits 4 and lists a corrupted object, copying the rest', async () => {
    const readme = SAMPLE_FILES.find((file) => file.path === 'README.txt');
    const digest = digestOf(readme?.content as Buffer);
    const hex = digestHex(digest);
    const path = join(store.dir, 'storage', objectKey(formatDigest(hex), NEW_LOCAL_LAYOUT_VERSION));
    await chmod(path, 0o644);
    // Same length, other bytes: the copy fails on the digest, not on the size.
    await writeFile(path, (await readFile(path, 'utf8')).toUpperCase());

    const result = await runCli(['--json', 'storage', 'copy', '--to', 's3'], env);
    assert.equal(result.status, 4, result.err);
    const report = parseJson<CopyOutput>(result);
    assert.equal(report.copied, SAMPLE_FILES.length);
    assert.deepEqual(
      report.failed.map((failure) => [failure.digest, failure.code]),
      [[digest, 'DIGEST_MISMATCH']],
    );
    assert.match(result.err, new RegExp(`warning: copy of ${digest} failed: `));
    const { error } = JSON.parse(result.err.trim().split('\n').at(-1) as string) as {
      error: { code: string; details: { failed: unknown[] } };
    };
    assert.equal(error.code, 'INTEGRITY_ERROR');
    assert.equal(error.details.failed.length, 1);

    const again = await runCli(['--json', 'storage', 'copy', '--to', 's3'], env);
    assert.equal(again.status, 4);
    assert.equal(parseJson<CopyOutput>(again).total, 1);
  });
});
