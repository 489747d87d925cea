import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';

// Both drivers are CommonJS packages, so `require` loads them synchronously and `openDatabase`
// stays synchronous. Each is loaded on first use, so a store loads only the driver of its own
// database. `require('pg')` returns the same object as `import pg from 'pg'`, whose ES module
// wrapper re-exports the CommonJS module.
const require = createRequire(import.meta.url);

/** Loads better-sqlite3, the SQLite driver. */
export function loadSqliteDriver(): typeof BetterSqlite3 {
  return require('better-sqlite3');
}

/** Loads node-postgres (`pg`), the PostgreSQL driver. */
export function loadPostgresDriver(): typeof pg {
  return require('pg');
}
