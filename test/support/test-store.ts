import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Config, loadConfig } from '../../src/config/config.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import type { Registry } from '../../src/registry/registry.js';

/** Environment variable that points the PostgreSQL suites at a server. */
export const POSTGRES_URL_VARIABLE = 'ARTIFACTSTORE_TEST_POSTGRES_URL';

/** A database the suites run against. */
export type TestDatabaseKind = 'sqlite' | 'postgres';

/**
 * Databases to run each suite on: SQLite always, PostgreSQL when ARTIFACTSTORE_TEST_POSTGRES_URL
 * is set. Without it the PostgreSQL runs are skipped with a reason, never passed silently.
 */
export const TEST_DATABASES: ReadonlyArray<{ kind: TestDatabaseKind; skip: string | false }> = [
  { kind: 'sqlite', skip: false },
  {
    kind: 'postgres',
    skip: process.env[POSTGRES_URL_VARIABLE]
      ? false
      : `set ${POSTGRES_URL_VARIABLE}=postgresql://user@host:port/database to run against PostgreSQL`,
  },
];

/** A scratch store: its own directory, and its own schema on PostgreSQL. */
export interface TestStore {
  dir: string;
  config: Config;
  env: Record<string, string>;
  /** Opens a registry on this store (migrating it). */
  open(): Promise<Registry>;
  /** Drops the PostgreSQL schema and removes the directory. */
  cleanup(): Promise<void>;
}

/** Creates a PostgreSQL schema for one test store and returns a URL whose search_path uses it. */
async function createPostgresSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env[POSTGRES_URL_VARIABLE];
  if (!base) throw new Error(`${POSTGRES_URL_VARIABLE} is not set`);
  const schema = `test_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = new pg.Client({ connectionString: base });
      await dropper.connect();
      await dropper.query(`drop schema if exists ${schema} cascade`);
      await dropper.end();
    },
  };
}

/** Creates an empty scratch store on the given database. */
export async function createTestStore(
  kind: TestDatabaseKind = 'sqlite',
  extraEnv: Record<string, string> = {},
): Promise<TestStore> {
  const dir = await mkdtemp(join(tmpdir(), 'artifactstore-test-'));
  const pgSchema = kind === 'postgres' ? await createPostgresSchema() : undefined;
  const env: Record<string, string> = {
    ARTIFACTSTORE_DATABASE_URL: pgSchema?.url ?? `sqlite:${join(dir, 'artifactstore.db')}`,
    ARTIFACTSTORE_STORAGE_LOCAL_ROOT: join(dir, 'storage'),
    ARTIFACTSTORE_LOG_LEVEL: 'silent',
    ...extraEnv,
  };
  const config = loadConfig(env);
  return {
    dir,
    config,
    env,
    open: () => openRegistry(config),
    cleanup: async () => {
      await pgSchema?.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
