import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Config } from '../config/config.js';
import { FsyncRounds } from '../fs/fsync-rounds.js';
import { KeptDatasync } from '../fs/kept-datasync.js';
import type { DatabaseKind } from './dialect.js';
import { loadPostgresDriver, loadSqliteDriver } from './drivers.js';
import type { Database } from './schema.js';
import { withStatementCache } from './sqlite-statement-cache.js';

/** An open metadata database and the facts the store needs about it. */
export interface StoreDatabase {
  readonly kind: DatabaseKind;
  readonly db: Kysely<Database>;
  /** The configured URL with any password removed, for logs and messages. */
  readonly displayUrl: string;
  /**
   * Makes every transaction that this process has committed durable. `writeTransaction` calls it
   * after each commit and before it returns; it does nothing on PostgreSQL, whose commit is
   * durable when it returns.
   */
  syncCommitted(): Promise<void>;
  close(): Promise<void>;
}

/** PostgreSQL type id of int8/bigint. */
const PG_INT8_OID = 20;

/** Returns the SQLite file path of a `sqlite:` URL. */
export function sqlitePath(url: string): string {
  return resolve(url.slice('sqlite:'.length));
}

function openSqlite(url: string, config: Config): StoreDatabase {
  const path = sqlitePath(url);
  mkdirSync(dirname(path), { recursive: true });
  const BetterSqlite3 = loadSqliteDriver();
  const connection = new BetterSqlite3(path);
  connection.pragma('journal_mode = WAL');
  // NORMAL: a commit writes the WAL without fsyncing it, so better-sqlite3 does not block the
  // event loop on a disk flush at commit. `writeTransaction` then calls `syncCommitted`, which
  // fdatasyncs the WAL in the thread pool before the write is acknowledged. Checkpoints still
  // fsync the WAL and the database file themselves.
  connection.pragma('synchronous = NORMAL');
  connection.pragma(`busy_timeout = ${config.database.busyTimeoutMs}`);
  connection.pragma('foreign_keys = ON');
  const database = withStatementCache(connection);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  const wal = new KeptDatasync(`${path}-wal`);
  const walSync = new FsyncRounds(() => wal.sync());
  return {
    kind: 'sqlite',
    db,
    displayUrl: `sqlite:${path}`,
    syncCommitted: () => walSync.sync([wal.path]),
    close: async () => {
      await db.destroy();
      await wal.close();
    },
  };
}

function openPostgres(url: string, config: Config): StoreDatabase {
  const pg = loadPostgresDriver();
  const pool = new pg.Pool({
    connectionString: url,
    max: config.database.poolSize,
    connectionTimeoutMillis: config.database.connectTimeoutMs,
    statement_timeout: config.database.statementTimeoutMs || undefined,
    // Sizes and sequence numbers stay below 2^53, so int8 values are safe as JS numbers.
    types: {
      getTypeParser: (oid: number, format?: string) =>
        oid === PG_INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text'),
    },
  });
  // An idle client that loses its connection emits here; without a listener the process exits.
  pool.on('error', () => {});
  // A checked-out client whose connection drops between two queries emits 'error' on itself,
  // which would also end the process. The next query on it fails with a connection error
  // (DATABASE_UNAVAILABLE), and the pool discards the client when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const displayUrl = url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  return {
    kind: 'postgres',
    db,
    displayUrl,
    syncCommitted: async () => {},
    close: () => db.destroy(),
  };
}

/** Opens the database named by `config.databaseUrl`. Does not run migrations. */
export function openDatabase(config: Config): StoreDatabase {
  const url = config.databaseUrl;
  return url.startsWith('sqlite:') ? openSqlite(url, config) : openPostgres(url, config);
}
