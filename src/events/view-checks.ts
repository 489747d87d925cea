/**
 * Checks of the current views that a change must pass before its event is appended. The registry
 * runs them before every write, and event import runs them before applying each imported event.
 */
import type { Kysely, Selectable } from 'kysely';
import { PreparedQuery } from '../db/prepared-query.js';
import type { ArtifactPackagesTable, Database } from '../db/schema.js';
import { StoreError } from '../errors/store-error.js';
import { parseDigest } from '../identity/digest.js';
import { pathPrefixes, validateRelativePath } from '../identity/relative-path.js';
import type { RecordedEvent } from './event-types.js';

/** Loads a package row or raises PACKAGE_NOT_FOUND. */
export async function loadPackageRow(db: Kysely<Database>, packageId: string) {
  const result = await db.executeQuery<Selectable<ArtifactPackagesTable>>(
    selectPackage.bind(db, { id: packageId }),
  );
  const row = result.rows[0];
  if (row === undefined) {
    throw new StoreError(
      'PACKAGE_NOT_FOUND',
      `package ${JSON.stringify(packageId)} not found; list packages with GET /v1/packages or \`artifactstore ls\``,
      { packageId },
    );
  }
  return row;
}

/** Loads a package and raises PACKAGE_FINALIZED unless it is open. */
export async function loadOpenPackage(db: Kysely<Database>, packageId: string) {
  const row = await loadPackageRow(db, packageId);
  if (row.state !== 'open') {
    throw new StoreError(
      'PACKAGE_FINALIZED',
      `package ${packageId} is finalized and accepts no more changes; create a new package instead`,
      { packageId, manifestDigest: row.manifest_digest },
    );
  }
  return row;
}

/**
 * Raises DUPLICATE_PATH when `path` is already a file of the package. Raises PATH_CONFLICT when
 * it would be both a file and a directory, that is when a stored file is a directory prefix of
 * `path` or `path` is a directory prefix of a stored file.
 */
export async function checkPathFree(db: Kysely<Database>, packageId: string, path: string) {
  const clash =
    (await findFileAt(db, packageId, [path, ...pathPrefixes(path)])) ??
    (await findFileUnder(db, packageId, path));
  if (clash === undefined) return;
  if (clash.path === path) {
    throw new StoreError(
      'DUPLICATE_PATH',
      `package ${packageId} already has a file at ${JSON.stringify(path)}; files are immutable, so upload under another path or into a new package`,
      { packageId, path },
    );
  }
  throw new StoreError(
    'PATH_CONFLICT',
    `path ${JSON.stringify(path)} conflicts with file ${JSON.stringify(clash.path)} in package ${packageId}: a path cannot be both a file and a directory; rename one of them`,
    { packageId, path, conflictsWith: clash.path },
  );
}

/** Returns a file of the package at one of `paths`, if any; an index lookup per path. */
async function findFileAt(db: Kysely<Database>, packageId: string, paths: string[]) {
  for (const path of paths) {
    const result = await db.executeQuery<{ path: string }>(
      selectFileAt.bind(db, { package_id: packageId, path }),
    );
    if (result.rows[0] !== undefined) return result.rows[0];
  }
  return undefined;
}

/**
 * Returns a file of the package under the directory `dir`, if any. Paths compare bytewise on both
 * databases (BINARY in SQLite, `COLLATE "C"` in PostgreSQL), so every path that starts with
 * `dir/` sorts between `dir/` and `dir0`, `0` being the character after `/`. That range is one
 * index range scan, however many files the package has.
 */
async function findFileUnder(db: Kysely<Database>, packageId: string, dir: string) {
  const result = await db.executeQuery<{ path: string }>(
    selectFileInRange.bind(db, { package_id: packageId, from: `${dir}/`, to: `${dir}0` }),
  );
  return result.rows[0];
}

// Prepared once per Kysely instance (see PreparedQuery), because every upload runs them twice.

const selectPackage = new PreparedQuery<{ id: string }>((db, param) =>
  db.selectFrom('artifact_packages').selectAll().where('id', '=', param('id')),
);

const selectFileAt = new PreparedQuery<{ package_id: string; path: string }>((db, param) =>
  db
    .selectFrom('artifact_files')
    .select('path')
    .where('package_id', '=', param('package_id'))
    .where('path', '=', param('path')),
);

const selectFileInRange = new PreparedQuery<{ package_id: string; from: string; to: string }>(
  (db, param) =>
    db
      .selectFrom('artifact_files')
      .select('path')
      .where('package_id', '=', param('package_id'))
      .where('path', '>=', param('from'))
      .where('path', '<', param('to'))
      .limit(1),
);

/** Loads a retention class or raises UNKNOWN_RETENTION_CLASS listing the known ones. */
export async function loadRetentionClass(db: Kysely<Database>, name: string) {
  const row = await db
    .selectFrom('retention_classes')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  if (row !== undefined) return row;
  const known = await db.selectFrom('retention_classes').select('name').orderBy('name').execute();
  throw new StoreError(
    'UNKNOWN_RETENTION_CLASS',
    `unknown retention class ${JSON.stringify(name)}; use one of: ${known.map((r) => r.name).join(', ')}`,
    { retentionClass: name, known: known.map((r) => r.name) },
  );
}

/**
 * Raises the StoreError that the registry would have raised had `event` been requested as a
 * change against the current views: an unknown retention class, a file added to a finalized or
 * missing package, a path that is taken or conflicts, a malformed path or digest, and so on.
 */
export async function checkEventApplies(db: Kysely<Database>, event: RecordedEvent): Promise<void> {
  switch (event.type) {
    case 'package.created':
      await loadRetentionClass(db, event.payload.retentionClass);
      return;
    case 'file.added':
      validateRelativePath(event.payload.path);
      parseDigest(event.payload.digest);
      await loadOpenPackage(db, event.packageId);
      await checkPathFree(db, event.packageId, event.payload.path);
      return;
    case 'package.finalized':
      parseDigest(event.payload.manifestDigest);
      await loadOpenPackage(db, event.packageId);
      return;
    case 'object.located':
      parseDigest(event.payload.digest);
      return;
  }
}
