import { StoreError } from '../errors/store-error.js';

/** Page size used when a listing names none. */
export const DEFAULT_PAGE_SIZE = 100;

/** Largest page size a listing accepts. */
export const MAX_PAGE_SIZE = 1000;

/** Encodes the key of the last item of a page as an opaque cursor. */
export function encodeCursor(lastKey: string): string {
  return Buffer.from(JSON.stringify({ k: lastKey }), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeCursor`. Rejects anything else with INVALID_CURSOR. */
export function decodeCursor(cursor: string): string {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown };
    if (typeof value.k === 'string') return value.k;
  } catch {
    // Falls through to the error below.
  }
  throw new StoreError(
    'INVALID_CURSOR',
    `invalid cursor "${cursor.slice(0, 100)}": pass the nextCursor value of a previous page`,
    { cursor: cursor.slice(0, 100) },
  );
}

/** Validates a page size, applying the default. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new StoreError(
      'INVALID_ARGUMENT',
      `invalid limit ${limit}: expected an integer from 1 to ${MAX_PAGE_SIZE}`,
      { field: 'limit', value: limit },
    );
  }
  return limit;
}
