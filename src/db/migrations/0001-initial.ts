import { type ColumnDefinitionBuilder, type Kysely, type Migration, sql } from 'kysely';
import type { DatabaseKind } from '../dialect.js';

/** Retention classes every store starts with. */
const SEED_RETENTION_CLASSES = [
  { name: 'ephemeral', description: 'Scratch outputs, kept 7 days', retain_days: 7 },
  {
    name: 'standard',
    description: 'Ordinary build and test outputs, kept 90 days',
    retain_days: 90,
  },
  { name: 'release', description: 'Released artifacts, kept 5 years', retain_days: 1825 },
  {
    name: 'raw-evidence',
    description: 'Raw test or audit evidence, kept 10 years',
    retain_days: 3650,
  },
  { name: 'permanent', description: 'Never eligible for deletion', retain_days: null },
];

/**
 * Creates the schema. Key text columns compare bytewise on both databases (SQLite's default
 * BINARY collation, `COLLATE "C"` on PostgreSQL), so paths and ids sort in code point order
 * everywhere and cursors behave the same.
 */
export function initialMigration(kind: DatabaseKind): Migration {
  const bytewise = (col: ColumnDefinitionBuilder) =>
    kind === 'postgres' ? col.notNull().modifyEnd(sql`collate "C"`) : col.notNull();

  return {
    // biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on today's schema types
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('events')
        .addColumn('seq', 'bigint', (col) => col.primaryKey())
        .addColumn('type', 'text', (col) => col.notNull())
        .addColumn('package_id', 'text')
        .addColumn('actor', 'text', (col) => col.notNull())
        .addColumn('recorded_at', 'text', (col) => col.notNull())
        .addColumn('payload', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('events_package_idx')
        .on('events')
        .columns(['package_id', 'seq'])
        .execute();

      await db.schema
        .createTable('event_head')
        .addColumn('id', 'integer', (col) => col.primaryKey())
        .addColumn('last_seq', 'bigint', (col) => col.notNull())
        .execute();
      await db.insertInto('event_head').values({ id: 1, last_seq: 0 }).execute();

      await db.schema
        .createTable('retention_classes')
        .addColumn('name', 'text', (col) => bytewise(col).primaryKey())
        .addColumn('description', 'text', (col) => col.notNull())
        .addColumn('retain_days', 'integer')
        .execute();
      await db.insertInto('retention_classes').values(SEED_RETENTION_CLASSES).execute();

      await db.schema
        .createTable('artifact_packages')
        .addColumn('id', 'text', (col) => bytewise(col).primaryKey())
        .addColumn('name', 'text', bytewise)
        .addColumn('producer', 'text', bytewise)
        .addColumn('subject', 'text', bytewise)
        .addColumn('retention_class', 'text', (col) => col.notNull())
        .addColumn('metadata', 'text', (col) => col.notNull())
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('created_by', 'text', (col) => col.notNull())
        .addColumn('finalized_at', 'text')
        .addColumn('finalized_by', 'text')
        .addColumn('manifest_digest', 'text')
        .addColumn('file_count', 'bigint', (col) => col.notNull())
        .addColumn('total_size', 'bigint', (col) => col.notNull())
        .addColumn('last_seq', 'bigint', (col) => col.notNull())
        .execute();
      for (const column of ['producer', 'subject', 'name', 'state']) {
        await db.schema
          .createIndex(`artifact_packages_${column}_idx`)
          .on('artifact_packages')
          .columns([column, 'id'])
          .execute();
      }

      await db.schema
        .createTable('artifact_files')
        .addColumn('package_id', 'text', bytewise)
        .addColumn('path', 'text', bytewise)
        .addColumn('digest', 'text', bytewise)
        .addColumn('size', 'bigint', (col) => col.notNull())
        .addColumn('media_type', 'text', (col) => col.notNull())
        .addColumn('added_at', 'text', (col) => col.notNull())
        .addColumn('added_by', 'text', (col) => col.notNull())
        .addColumn('seq', 'bigint', (col) => col.notNull())
        .addPrimaryKeyConstraint('artifact_files_pk', ['package_id', 'path'])
        .execute();
      await db.schema
        .createIndex('artifact_files_digest_idx')
        .on('artifact_files')
        .column('digest')
        .execute();

      await db.schema
        .createTable('storage_locations')
        .addColumn('digest', 'text', bytewise)
        .addColumn('backend', 'text', bytewise)
        .addColumn('size', 'bigint', (col) => col.notNull())
        .addColumn('recorded_at', 'text', (col) => col.notNull())
        .addColumn('seq', 'bigint', (col) => col.notNull())
        .addPrimaryKeyConstraint('storage_locations_pk', ['digest', 'backend'])
        .execute();

      await db.schema
        .createTable('retention_state')
        .addColumn('package_id', 'text', (col) => bytewise(col).primaryKey())
        .addColumn('retention_class', 'text', (col) => col.notNull())
        .addColumn('retain_until', 'text')
        .addColumn('legal_hold', 'integer', (col) => col.notNull())
        .addColumn('updated_seq', 'bigint', (col) => col.notNull())
        .execute();
    },

    // biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on today's schema types
    async down(db: Kysely<any>) {
      for (const table of [
        'retention_state',
        'storage_locations',
        'artifact_files',
        'artifact_packages',
        'retention_classes',
        'event_head',
        'events',
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
