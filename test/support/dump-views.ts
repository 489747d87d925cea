import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';

const ORDER: Record<string, string[]> = {
  artifact_packages: ['id'],
  artifact_files: ['package_id', 'path'],
  storage_locations: ['digest', 'backend'],
  retention_state: ['package_id'],
  events: ['seq'],
};

/** Normalises driver differences (pg int8 as text) so dumps compare across databases. */
function normalise(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    out[key] = typeof value === 'bigint' ? Number(value) : value;
  }
  return out;
}

/**
 * Dumps every view table (and optionally the event log) as canonical text, rows in primary-key
 * order, so two dumps are equal exactly when the tables hold the same values.
 */
export async function dumpTables(db: Kysely<Database>, includeEvents = false): Promise<string> {
  const tables = Object.keys(ORDER).filter((table) => includeEvents || table !== 'events');
  const parts: string[] = [];
  for (const table of tables) {
    let query = db.selectFrom(table as keyof Database).selectAll();
    for (const column of ORDER[table] ?? []) query = query.orderBy(column as never);
    const rows = await query.execute();
    parts.push(`${table}\n${rows.map((row) => JSON.stringify(normalise(row))).join('\n')}`);
  }
  return parts.join('\n\n');
}
