import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { monotonicFactory } from 'ulid';
import { canonicalJson } from '../../src/events/canonical-json.js';
import { type ProductRuntime, runCli } from './product.js';
import { makeTempDir, removeTemp } from './temp.js';

interface EventRow {
  seq: number;
  type: string;
  package_id: string | null;
  actor: string;
  recorded_at: string;
  payload: string;
}

/** Shape of the synthetic event log. */
export interface LogShape {
  packages: number;
  filesPerPackage: number;
}

/** Returns the events the real CLI wrote for one pushed package, as templates. */
async function templateEvents(runtime: ProductRuntime, dataDir: string): Promise<EventRow[]> {
  const tree = makeTempDir('template-tree');
  writeFileSync(join(tree, 'f.bin'), 'template');
  await runCli(
    runtime,
    ['push', tree, '--name', 't', '--producer', 'p', '--subject', 's', '--no-progress'],
    dataDir,
  );
  removeTemp(tree);
  const db = new BetterSqlite3(join(dataDir, 'db.sqlite'), { readonly: true });
  try {
    return db.prepare('select * from events order by seq').all() as EventRow[];
  } finally {
    db.close();
  }
}

function byType(templates: EventRow[], type: string): EventRow {
  const found = templates.find((event) => event.type === type);
  if (found === undefined) throw new Error(`the template push wrote no ${type} event`);
  return found;
}

interface Templates {
  created: EventRow;
  added: Record<string, unknown>;
  finalized: EventRow;
}

/** Appends packages × (files + 2) events after the last one; returns the last sequence number. */
function insertPackages(db: BetterSqlite3.Database, templates: Templates, shape: LogShape): number {
  const { created, added, finalized } = templates;
  const insert = db.prepare(
    'insert into events (seq, type, package_id, actor, recorded_at, payload) values (?, ?, ?, ?, ?, ?)',
  );
  let seq = 0;
  const append = (type: string, packageId: string, template: EventRow, payload: string) => {
    seq += 1;
    insert.run(seq, type, packageId, template.actor, template.recorded_at, payload);
  };
  const nextId = monotonicFactory();
  const createdBase = JSON.parse(created.payload) as Record<string, unknown>;
  for (let index = 0; index < shape.packages; index += 1) {
    const packageId = nextId();
    const names = {
      name: `pkg-${index}`,
      producer: `producer-${index % 10}`,
      subject: `subject-${index % 1000}`,
    };
    append('package.created', packageId, created, canonicalJson({ ...createdBase, ...names }));
    for (let file = 0; file < shape.filesPerPackage; file += 1) {
      append('file.added', packageId, created, canonicalJson({ ...added, path: `d/f${file}.bin` }));
    }
    append('package.finalized', packageId, finalized, finalized.payload);
  }
  return seq;
}

/**
 * Creates a store under `dataDir` whose event log holds `shape.packages` finalized packages of
 * `shape.filesPerPackage` files each: packages × (files + 2) events. The payloads are copies of
 * events that the real CLI wrote for one push, with new package ids, names and paths, so replay
 * applies exactly the event shapes the product writes. The views still hold the template push;
 * `replay` rebuilds them. Returns the number of events.
 */
export async function writeSyntheticLog(
  runtime: ProductRuntime,
  dataDir: string,
  shape: LogShape,
): Promise<number> {
  mkdirSync(dataDir, { recursive: true });
  const events = await templateEvents(runtime, dataDir);
  const templates = {
    created: byType(events, 'package.created'),
    added: JSON.parse(byType(events, 'file.added').payload) as Record<string, unknown>,
    finalized: byType(events, 'package.finalized'),
  };
  const db = new BetterSqlite3(join(dataDir, 'db.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    return db.transaction(() => {
      db.prepare('delete from events').run();
      const lastSeq = insertPackages(db, templates, shape);
      db.prepare('update event_head set last_seq = ? where id = 1').run(lastSeq);
      return lastSeq;
    })();
  } finally {
    db.close();
  }
}
