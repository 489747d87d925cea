import { join } from 'node:path';
import pg from 'pg';
import { PostgresCluster } from '../../test/support/postgres-cluster.js';
import type { LoadOptions } from './options.js';

/** The metadata database of one load-test run. */
export interface LoadDatabase {
  /** Value of ARTIFACTSTORE_DATABASE_URL for the servers. */
  url: string;
  /** Name of this database in the report. */
  label: string;
  /** The throwaway server that an outage stops, when one was requested. */
  cluster: PostgresCluster | null;
  /** Drops the schema or the throwaway server. */
  drop(): Promise<void>;
}

async function withClient(url: string, work: (client: pg.Client) => Promise<void>) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

/** Creates a schema of its own on the shared server and returns a URL whose search_path uses it. */
async function prepareSchema(baseUrl: string): Promise<LoadDatabase> {
  const schema = `load_${process.pid}_${Date.now().toString(36)}`;
  await withClient(baseUrl, (client) => client.query(`create schema ${schema}`).then(() => {}));
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    label: `postgres (schema ${schema} on ${url.host})`,
    cluster: null,
    drop: () =>
      withClient(baseUrl, (client) =>
        client.query(`drop schema if exists ${schema} cascade`).then(() => {}),
      ),
  };
}

/**
 * Prepares the database that `options` selects: a SQLite file in `dir`, a fresh schema on the
 * shared PostgreSQL server, or a throwaway PostgreSQL server when an outage is requested (the
 * shared server is never stopped).
 */
export async function prepareDatabase(options: LoadOptions, dir: string): Promise<LoadDatabase> {
  if (options.db === 'sqlite') {
    const path = join(dir, 'store.db');
    return {
      url: `sqlite:${path}`,
      label: `sqlite (${path})`,
      cluster: null,
      drop: async () => {},
    };
  }
  if (options.stopPostgresAt === null) return prepareSchema(options.postgresUrl);

  const cluster = await PostgresCluster.create();
  if (typeof cluster === 'string') {
    throw new Error(`--stop-postgres-at needs a throwaway PostgreSQL server: ${cluster}`);
  }
  await cluster.start();
  return {
    url: cluster.url,
    label: `postgres (throwaway server on port ${cluster.port})`,
    cluster,
    drop: () => cluster.destroy(),
  };
}
