import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct statements kept prepared; the store issues far fewer distinct SQL texts. */
const MAX_CACHED_STATEMENTS = 1000;

/** The slice of a better-sqlite3 connection that the cache wraps. */
interface PreparingDatabase {
  prepare(sql: string): SqliteStatement;
  close(): void;
}

/**
 * Wraps a SQLite connection so that each distinct SQL text is prepared once and reused. Kysely's
 * SQLite driver prepares every query anew, and during replay preparing cost more than running
 * the statements. Kysely binds parameters on every call, so reuse is safe.
 */
export function withStatementCache(database: PreparingDatabase): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (statement === undefined) {
        if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
        statement = database.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    },
    close(): void {
      cache.clear();
      database.close();
    },
  };
}
