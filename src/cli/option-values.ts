import { StoreError } from '../errors/store-error.js';
import type { Metadata, PackageState } from '../registry/records.js';

/** Largest `--concurrency`: more transfers in flight than this only adds contention. */
export const MAX_CONCURRENCY = 64;

/**
 * Parses a whole number option such as `--concurrency` or `--limit`. Rejects anything else with
 * INVALID_ARGUMENT naming the option, so a bad value exits with the invalid-input status.
 */
export function parseIntegerOption(option: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new StoreError(
      'INVALID_ARGUMENT',
      `invalid ${option} "${raw}": expected an integer from ${min} to ${max}`,
      { option, value: raw },
    );
  }
  return value;
}

/** Parses `--concurrency`: 1 to 64 transfers in flight. */
export function parseConcurrency(raw: string): number {
  return parseIntegerOption('--concurrency', raw, 1, MAX_CONCURRENCY);
}

/** Parses `--metadata`: a JSON object. Rejects other JSON and bad syntax with INVALID_METADATA. */
export function parseMetadataOption(raw: string): Metadata {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreError(
      'INVALID_METADATA',
      `invalid --metadata: not valid JSON (${reason}); pass a JSON object such as '{"build": 42}'`,
      { option: '--metadata' },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new StoreError(
      'INVALID_METADATA',
      `invalid --metadata: expected a JSON object, got ${kind}; pass a JSON object such as '{"build": 42}'`,
      { option: '--metadata' },
    );
  }
  return value as Metadata;
}

/** Parses `--state`: `open` or `finalized`. */
export function parseStateOption(raw: string): PackageState {
  if (raw === 'open' || raw === 'finalized') return raw;
  throw new StoreError('INVALID_ARGUMENT', `invalid --state "${raw}": expected open or finalized`, {
    option: '--state',
    value: raw,
  });
}

/** Parses `--format` of `manifest`: `json` or `cbor`. */
export function parseManifestFormat(raw: string): 'json' | 'cbor' {
  if (raw === 'json' || raw === 'cbor') return raw;
  throw new StoreError('INVALID_ARGUMENT', `invalid --format "${raw}": expected json or cbor`, {
    option: '--format',
    value: raw,
  });
}
