import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HttpHarness } from '../http/http-harness.js';
import { TEST_DATABASES, type TestDatabaseKind } from '../support/test-store.js';
import { type CliResult, cliEnv, collect, createCliStore, REPO_ROOT } from './cli-harness.js';

// Each command must load only what it uses, because every module adds to the start-up time of
// each CLI run. These tests run the CLI with a preload that records every module it loads.

const RECORDER = fileURLToPath(new URL('../support/record-modules.ts', import.meta.url));

/** Packages that only `serve`, the S3 backend or `--debug` need. */
const UNUSED_BY_LS = ['fastify', '@fastify/swagger', '@aws-sdk/client-s3', 'pino'];

/** Packages of the embedded store, which a command run with --server must not load. */
const EMBEDDED_STORE_PACKAGES = ['kysely', 'better-sqlite3', 'pg'];

/** Driver package of each database. A store loads only the driver of its own database. */
const DRIVER_PACKAGES: Record<TestDatabaseKind, string> = {
  sqlite: 'better-sqlite3',
  postgres: 'pg',
};

/** Packages loaded by a run, each with the first module that loaded it. */
type LoadedPackages = Map<string, string>;

/** Returns the package name of a module URL under node_modules, or undefined. */
function packageOf(url: string): string | undefined {
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(url);
  return match?.[1];
}

/** Reads the list that the recorder wrote, as package name to its first importer. */
async function readLoadedPackages(
  file: string,
): Promise<{ packages: LoadedPackages; urls: string[] }> {
  const packages: LoadedPackages = new Map();
  const urls: string[] = [];
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    if (line === '') continue;
    const [url = '', parent = ''] = line.split('\t');
    urls.push(url);
    const name = packageOf(url);
    if (name === undefined || packages.has(name)) continue;
    packages.set(
      name,
      parent === '' ? '(unknown: loaded by require)' : parent.replace(/^file:\/\/\//, '/'),
    );
  }
  return { packages, urls };
}

/** Runs the CLI with the module recorder and returns its result and what it loaded. */
async function runRecorded(
  dir: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ result: CliResult; packages: LoadedPackages; urls: string[] }> {
  const file = join(dir, `modules-${Math.random().toString(36).slice(2)}.txt`);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', RECORDER, 'src/cli/main.ts', ...args],
    {
      cwd: REPO_ROOT,
      env: cliEnv({ ...env, RECORD_MODULES_FILE: file }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const result = await collect(child);
  return { result, ...(await readLoadedPackages(file)) };
}

function assertNotLoaded(packages: LoadedPackages, names: readonly string[]): void {
  for (const name of names) {
    assert.ok(!packages.has(name), `${name} was loaded, imported by ${packages.get(name)}`);
  }
}

function assertLoaded(packages: LoadedPackages, names: readonly string[]): void {
  for (const name of names) {
    assert.ok(packages.has(name), `${name} was not recorded: the module recorder is broken`);
  }
}

describe('cli start-up modules', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'artifactstore-modules-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const database of TEST_DATABASES) {
    it(`embedded ${database.kind} ls loads no unused packages`, {
      skip: database.skip,
    }, async () => {
      const store = await createCliStore(database.kind);
      try {
        const run = await runRecorded(dir, ['--json', 'ls'], store.env);
        assert.equal(run.result.status, 0, run.result.err);
        const otherDrivers = Object.values(DRIVER_PACKAGES).filter(
          (name) => name !== DRIVER_PACKAGES[database.kind],
        );
        assertLoaded(run.packages, ['kysely', DRIVER_PACKAGES[database.kind]]);
        assertNotLoaded(run.packages, [...UNUSED_BY_LS, 'undici', ...otherDrivers]);
      } finally {
        await store.cleanup();
      }
    });
  }

  it('ls with --server loads no store packages', async () => {
    const http = await HttpHarness.start('sqlite');
    try {
      const run = await runRecorded(dir, ['--json', '--server', http.url, 'ls'], {});
      assert.equal(run.result.status, 0, run.result.err);
      assertLoaded(run.packages, ['undici']);
      assertNotLoaded(run.packages, [...UNUSED_BY_LS, ...EMBEDDED_STORE_PACKAGES]);
      for (const layer of ['/src/db/', '/src/storage/', '/src/registry/registry.ts']) {
        const loaded = run.urls.find((url) => url.includes(layer));
        assert.equal(loaded, undefined, `${loaded} was loaded, but --server needs no local store`);
      }
    } finally {
      await http.close();
    }
  });
});
