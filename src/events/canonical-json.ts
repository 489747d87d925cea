import { comparePaths } from '../manifest/compare-paths.js';

/**
 * Serialises a JSON value with object keys sorted by code point at every level and no
 * whitespace, so equal values always give equal text. Written out by hand because
 * `JSON.stringify` puts integer-like keys ("10", "2") first whatever order they were added in.
 * Keys whose value is undefined are left out, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort(comparePaths)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}
