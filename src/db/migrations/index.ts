import type { Migration } from 'kysely';
import type { DatabaseKind } from '../dialect.js';
import { initialMigration } from './0001-initial.js';

/** Every migration, keyed by name; the Migrator applies them in name order. */
export function allMigrations(kind: DatabaseKind): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(kind),
  };
}
