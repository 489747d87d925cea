import assert from 'node:assert/strict';
import { link, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/connection.js';
import { dumpTables } from '../support/dump-views.js';
import { startTestS3Server } from '../../src/storage/s3/s3rver-test-server.js';
import { copyNodeModules, diffTrees, writeRandomFile } from '../support/fixtures.js';
import { runCli, startServerProcess } from '../support/processes.js';

const MIB = 1024 * 1024;
/** Size of the generated large file; ARTIFACTSTORE_TEST_LARGE_FILE_MIB lowers it for quick runs. */
const LARGE_FILE_BYTES = Number(process.env.ARTIFACTSTORE_TEST_LARGE_FILE_MIB ?? 1024) * MIB;
const MIN_FILES = 5000;
/** Maximum duration of one push or pull of the large tree. */
const CLI_TIMEOUT_MS = 300_000;
/** Files in the S3 round trip: every file costs four requests to the in-process S3 server. */
const MIN_FILES_S3 = 2000;

function storeEnv(dir: string): Record<string, string> {
  return {
    ARTIFACTSTORE_DATABASE_URL: `sqlite:${join(dir, 'store.db')}`,
    ARTIFACTSTORE_STORAGE_LOCAL_ROOT: join(dir, 'storage'),
    ARTIFACTSTORE_LOG_LEVEL: 'warn',
  };
}

function packageIdOf(stdout: string): string {
  const match = /"(?:packageId|id)":\s*"([0-9A-HJKMNP-TV-Z]{26})"/.exec(stdout);
  assert.ok(match?.[1], `no package id in push output: ${stdout}`);
  return match[1];
}

async function dumpViews(env: Record<string, string>): Promise<string> {
  const store = openDatabase(loadConfig(env));
  try {
    return await dumpTables(store.db);
  } finally {
    await store.close();
  }
}

async function pushAndPull(
  env: Record<string, string>,
  source: string,
  target: string,
  server: string[],
) {
  const push = await runCli(
    [
      '--json',
      'push',
      source,
      '--name',
      'roundtrip',
      '--producer',
      'e2e',
      '--subject',
      'fixture',
      '--no-progress',
      ...server,
    ],
    env,
    undefined,
    CLI_TIMEOUT_MS,
  );
  assert.equal(push.status, 0, `push failed: ${push.err}`);
  const packageId = packageIdOf(push.out);
  const pull = await runCli(['pull', packageId, target, ...server], env, undefined, CLI_TIMEOUT_MS);
  assert.equal(pull.status, 0, `pull failed: ${pull.err}`);
  assert.deepEqual(await diffTrees(source, target), []);
  return packageId;
}

describe('large directory round trip', { timeout: 900_000 }, () => {
  let work: string;
  let source: string;
  let smallerSource: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'artifactstore-e2e-'));
    source = join(work, 'source');
    await mkdir(source);
    const copied = await copyNodeModules(join(source, 'node_modules'), MIN_FILES);
    assert.ok(copied >= MIN_FILES, `only ${copied} files copied`);
    await writeRandomFile(join(source, 'large.bin'), LARGE_FILE_BYTES);
    smallerSource = join(work, 'smaller-source');
    await mkdir(smallerSource);
    await copyNodeModules(join(smallerSource, 'node_modules'), MIN_FILES_S3);
    await link(join(source, 'large.bin'), join(smallerSource, 'large.bin'));
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('pushes and pulls over HTTP, and replay keeps the views', async () => {
    const storeDir = join(work, 'http-store');
    const env = storeEnv(storeDir);
    const server = await startServerProcess(env);
    try {
      await pushAndPull(env, source, join(work, 'http-pulled'), ['--server', server.url]);
    } finally {
      await server.stop();
    }
    await rm(join(work, 'http-pulled'), { recursive: true, force: true });

    const before = await dumpViews(env);
    const replay = await runCli(['replay'], env);
    assert.equal(replay.status, 0, replay.err);
    assert.match(replay.out, /\d+/);
    assert.equal(await dumpViews(env), before);
    await rm(storeDir, { recursive: true, force: true });
  });

  it('pushes and pulls over HTTP with the S3 backend', async () => {
    const s3 = await startTestS3Server();
    const storeDir = join(work, 's3-store');
    const env = {
      ...storeEnv(storeDir),
      ARTIFACTSTORE_STORAGE_BACKEND: 's3',
      ARTIFACTSTORE_S3_ENDPOINT: s3.endpoint,
      ARTIFACTSTORE_S3_BUCKET: s3.bucket,
      ARTIFACTSTORE_S3_REGION: s3.region,
      ARTIFACTSTORE_S3_ACCESS_KEY_ID: s3.accessKeyId,
      ARTIFACTSTORE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    };
    const server = await startServerProcess(env);
    try {
      await pushAndPull(env, smallerSource, join(work, 's3-pulled'), ['--server', server.url]);
    } finally {
      await server.stop();
      await s3.close();
    }
    await rm(join(work, 's3-pulled'), { recursive: true, force: true });
    await rm(storeDir, { recursive: true, force: true });
  });

  it('pushes and pulls through the embedded store', async () => {
    const storeDir = join(work, 'embedded-store');
    const env = storeEnv(storeDir);
    await pushAndPull(env, source, join(work, 'embedded-pulled'), []);
    await rm(storeDir, { recursive: true, force: true });
  });
});
