import { parseArgs } from 'node:util';

/** Settings of one load-test run. */
export interface LoadOptions {
  db: 'sqlite' | 'postgres';
  processes: number;
  clients: number;
  /** Upper bound on workload requests; verification requests come on top. */
  requests: number;
  /** Upper bound on the workload phase, in seconds. */
  durationSeconds: number;
  /** Seconds into the workload at which the throwaway PostgreSQL server is stopped, or null. */
  stopPostgresAt: number | null;
  /** Seconds the throwaway server stays down. */
  outageSeconds: number;
  /** Server used when no outage is requested: the run gets its own schema there. */
  postgresUrl: string;
  /** Largest file uploaded, in bytes. */
  maxFileBytes: number;
  /** Path of a JSON file for the results, or null. */
  jsonPath: string | null;
}

const USAGE = `usage: node --import tsx bench/load-test.ts [options]
  --db sqlite|postgres        metadata database (default postgres)
  --processes 1|2             serve processes sharing one store (default 2)
  --clients N                 concurrent HTTP clients (default 64)
  --requests N                workload requests at most (default 2000)
  --duration SECONDS          workload time at most (default 120)
  --stop-postgres-at SECONDS  run PostgreSQL as a throwaway server and stop it at this time
  --outage SECONDS            how long the throwaway server stays down (default 5)
  --postgres-url URL          server for --db postgres without an outage
                              (default ARTIFACTSTORE_TEST_POSTGRES_URL or
                              postgresql://postgres@127.0.0.1:5432/test)
  --max-file-bytes N          largest upload in bytes (default 4194304)
  --json FILE                 also write the results to FILE as JSON`;

function integer(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
) {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `invalid --${name} ${raw}: expected an integer from ${min} to ${max}\n${USAGE}`,
    );
  }
  return value;
}

/** Parses the command line; throws with the usage text on an invalid option. */
export function parseLoadOptions(argv: string[]): LoadOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: 'string' },
      processes: { type: 'string' },
      clients: { type: 'string' },
      requests: { type: 'string' },
      duration: { type: 'string' },
      'stop-postgres-at': { type: 'string' },
      outage: { type: 'string' },
      'postgres-url': { type: 'string' },
      'max-file-bytes': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) throw new Error(USAGE);
  const db = values.db ?? 'postgres';
  if (db !== 'sqlite' && db !== 'postgres') {
    throw new Error(`invalid --db ${db}: expected sqlite or postgres\n${USAGE}`);
  }
  const stopAt = values['stop-postgres-at'];
  if (stopAt !== undefined && db !== 'postgres') {
    throw new Error(`--stop-postgres-at needs --db postgres\n${USAGE}`);
  }
  return {
    db,
    processes: integer('processes', values.processes, 2, 1, 2),
    clients: integer('clients', values.clients, 64, 1, 512),
    requests: integer('requests', values.requests, 2000, 1, 100_000),
    durationSeconds: integer('duration', values.duration, 120, 1, 3600),
    stopPostgresAt: stopAt === undefined ? null : integer('stop-postgres-at', stopAt, 0, 0, 3600),
    outageSeconds: integer('outage', values.outage, 5, 1, 600),
    postgresUrl:
      values['postgres-url'] ??
      process.env.ARTIFACTSTORE_TEST_POSTGRES_URL ??
      'postgresql://postgres@127.0.0.1:5432/test',
    maxFileBytes: integer(
      'max-file-bytes',
      values['max-file-bytes'],
      4 * 1024 * 1024,
      1024,
      1 << 30,
    ),
    jsonPath: values.json ?? null,
  };
}
