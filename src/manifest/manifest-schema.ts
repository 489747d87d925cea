import { isStoreError, StoreError } from '../errors/store-error.js';
import { type Digest, isDigest } from '../identity/digest.js';
import { isPackageId } from '../identity/ids.js';
import {
  LONE_SURROGATE_PATTERN,
  quoteForMessage,
  validateRelativePath,
} from '../identity/relative-path.js';
import { validateMetadata } from '../registry/metadata.js';
import type { Metadata } from '../registry/records.js';
import { comparePaths } from './compare-paths.js';
import type { Manifest, ManifestFile, ManifestPackage } from './manifest.js';

/** Schema id written into every manifest of this version. */
export const MANIFEST_SCHEMA = 'artifactstore.manifest.v1';

const MANIFEST_KEYS = ['schema', 'package', 'files'] as const;
const PACKAGE_KEYS = [
  'id',
  'name',
  'producer',
  'subject',
  'retentionClass',
  'metadata',
  'createdAt',
  'createdBy',
  'finalizedAt',
  'finalizedBy',
] as const;
const FILE_KEYS = ['path', 'digest', 'size', 'mediaType'] as const;

/** RFC 3339 in UTC with exactly three fractional digits, as `Date.prototype.toISOString` writes. */
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Validates `value` as a manifest of schema `artifactstore.manifest.v1` and returns a copy.
 * Every field must be present with the right type and no other field may appear. Files must be
 * strictly increasing by `comparePaths`, which also rules out duplicate paths. Labels and
 * metadata follow the structural rules only, because the size limit of metadata is a setting.
 *
 * @throws StoreError INVALID_MANIFEST naming the field at fault.
 */
export function validateManifest(value: unknown): Manifest {
  const manifest = readObject(value, '', MANIFEST_KEYS);
  if (manifest.schema !== MANIFEST_SCHEMA) {
    throw invalidField(
      'schema',
      `unknown schema id ${describeValue(manifest.schema)}; expected "${MANIFEST_SCHEMA}"`,
    );
  }
  return {
    schema: MANIFEST_SCHEMA,
    package: validateManifestPackage(manifest.package),
    files: readFiles(manifest.files),
  };
}

/**
 * Validates the `package` field of a manifest and returns a copy, with the checks of
 * `validateManifest`.
 *
 * @throws StoreError INVALID_MANIFEST naming the field at fault.
 */
export function validateManifestPackage(value: unknown): ManifestPackage {
  const pkg = readObject(value, 'package', PACKAGE_KEYS);
  const id = readText(pkg.id, 'package.id');
  if (!isPackageId(id)) throw invalidField('package.id', `${describeValue(id)} is not a ULID`);

  return {
    id,
    name: readText(pkg.name, 'package.name'),
    producer: readText(pkg.producer, 'package.producer'),
    subject: readText(pkg.subject, 'package.subject'),
    retentionClass: readText(pkg.retentionClass, 'package.retentionClass'),
    metadata: readMetadata(pkg.metadata),
    createdAt: readTimestamp(pkg.createdAt, 'package.createdAt'),
    createdBy: readText(pkg.createdBy, 'package.createdBy'),
    finalizedAt: readTimestamp(pkg.finalizedAt, 'package.finalizedAt'),
    finalizedBy: readText(pkg.finalizedBy, 'package.finalizedBy'),
  };
}

function readFiles(value: unknown): ManifestFile[] {
  if (!Array.isArray(value)) {
    throw invalidField('files', `expected an array, got ${describeValue(value)}`);
  }
  const files = value.map((item, index) => validateManifestFile(item, index));
  for (let index = 1; index < files.length; index++) {
    checkFileOrder(files[index - 1]!.path, files[index]!.path, index);
  }
  return files;
}

/**
 * Checks that the path of `files[index]` follows the path of the entry before it, as
 * `validateManifest` requires: strictly increasing by `comparePaths`, so no path repeats.
 *
 * @throws StoreError INVALID_MANIFEST naming `files[index].path`.
 */
export function checkFileOrder(previous: string, current: string, index: number): void {
  const order = comparePaths(previous, current);
  if (order < 0) return;

  const problem = order === 0 ? 'duplicate path' : 'files are not sorted by path';
  throw invalidField(
    `files[${index}].path`,
    `${problem}: ${quoteForMessage(current)} follows ${quoteForMessage(previous)}; ` +
      'paths must be unique and sorted by Unicode code point',
  );
}

/**
 * Validates `files[index]` of a manifest and returns a copy, with the checks of
 * `validateManifest`. The order of entries is checked apart, by `checkFileOrder`.
 *
 * @throws StoreError INVALID_MANIFEST naming the field at fault.
 */
export function validateManifestFile(value: unknown, index: number): ManifestFile {
  const field = `files[${index}]`;
  const file = readObject(value, field, FILE_KEYS);
  return {
    path: readPath(file.path, `${field}.path`),
    digest: readDigest(file.digest, `${field}.digest`),
    size: readSize(file.size, `${field}.size`),
    mediaType: readText(file.mediaType, `${field}.mediaType`),
  };
}

function readObject<K extends string>(
  value: unknown,
  field: string,
  keys: readonly K[],
): Record<K, unknown> {
  if (!isPlainObject(value)) {
    throw invalidField(field || 'manifest', `expected a map, got ${describeValue(value)}`);
  }
  const record = value as Record<string, unknown>;
  const prefix = field === '' ? '' : `${field}.`;
  const missing = keys.find((key) => !Object.hasOwn(record, key));
  if (missing !== undefined) throw invalidField(`${prefix}${missing}`, 'missing field');

  const unknown = Object.keys(record).find((key) => !(keys as readonly string[]).includes(key));
  if (unknown !== undefined) {
    throw invalidField(field || 'manifest', `unknown field ${quoteForMessage(unknown)}`);
  }
  return record as Record<K, unknown>;
}

function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function readText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidField(field, `expected a non-empty string, got ${describeValue(value)}`);
  }
  if (LONE_SURROGATE_PATTERN.test(value)) {
    throw invalidField(field, 'contains a lone UTF-16 surrogate, which has no UTF-8 form');
  }
  return value;
}

function readTimestamp(value: unknown, field: string): string {
  const text = readText(value, field);
  const valid = TIMESTAMP_PATTERN.test(text) && safeIsoString(text) === text;
  if (!valid) {
    throw invalidField(
      field,
      `${describeValue(text)} is not an RFC 3339 UTC timestamp with milliseconds`,
    );
  }
  return text;
}

function safeIsoString(text: string): string | undefined {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function readDigest(value: unknown, field: string): Digest {
  if (isDigest(value)) return value;
  const reason = 'expected "blake3:" followed by 64 lowercase hex digits';
  throw invalidField(field, `invalid digest ${describeValue(value)}: ${reason}`);
}

function readSize(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw invalidField(field, `expected an integer from 0 to 2^53-1, got ${describeValue(value)}`);
}

function readPath(value: unknown, field: string): string {
  if (typeof value !== 'string') {
    throw invalidField(field, `expected a string, got ${describeValue(value)}`);
  }
  return rethrowAsInvalidManifest(field, () => validateRelativePath(value));
}

function readMetadata(value: unknown): Metadata {
  return rethrowAsInvalidManifest('package.metadata', () =>
    validateMetadata(value, Number.POSITIVE_INFINITY),
  );
}

function rethrowAsInvalidManifest<T>(field: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (!isStoreError(err)) throw err;
    throw new StoreError('INVALID_MANIFEST', `invalid manifest field ${field}: ${err.message}`, {
      field,
      ...err.details,
    });
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return quoteForMessage(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (value instanceof Uint8Array) return 'a byte string';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'a map' : typeof value;
}

function invalidField(field: string, reason: string): StoreError {
  return new StoreError('INVALID_MANIFEST', `invalid manifest field ${field}: ${reason}`, {
    field,
  });
}
