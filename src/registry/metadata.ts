import { StoreError } from '../errors/store-error.js';
import {
  CONTROL_CHARACTER_PATTERN,
  LONE_SURROGATE_PATTERN,
  quoteForMessage,
} from '../identity/relative-path.js';
import type { JsonValue, Metadata } from './records.js';

/** Maximum nesting of objects and arrays in metadata. The top-level object is at depth 1. */
export const MAX_METADATA_DEPTH = 32;

/** Maximum length of a package name, producer or subject, in Unicode code points. */
export const MAX_LABEL_CHARS = 256;

/** Name of each metadata rule, as reported in `details.rule` of an INVALID_METADATA error. */
export type MetadataRule =
  | 'not-an-object'
  | 'not-json'
  | 'too-deep'
  | 'lone-surrogate'
  | 'unsafe-integer'
  | 'too-large';

/** Package fields validated by `validateLabel`. */
export type LabelField = 'name' | 'producer' | 'subject';

/**
 * Validates package metadata and returns a deep copy of it. The value must be a plain object
 * whose contents are only JSON values: null, booleans, finite numbers, well-formed Unicode
 * strings, arrays without holes and plain objects with string keys. Integers must lie within
 * ±Number.MAX_SAFE_INTEGER, because JSON.parse already rounded any larger one, so the stored value
 * would differ from the one sent. Nesting may be at most 32 levels deep, and the JSON text (`JSON.stringify`) at most `maxBytes` UTF-8 bytes. `-0` is
 * accepted and kept, because JSON and CBOR both write it as `0`.
 *
 * @throws StoreError INVALID_METADATA naming the rule broken and, for a size violation, the size
 *   and the limit.
 */
export function validateMetadata(value: unknown, maxBytes: number): Metadata {
  // NOTE: duplicate keys in a JSON body cannot be detected here, because JSON.parse has already
  // kept the last value of each key. Detecting them needs a parser that reports duplicates.
  if (!isPlainObject(value)) {
    throw invalidMetadata(
      'not-an-object',
      `expected a JSON object, got ${describeType(value)}`,
      '',
    );
  }
  const copy = copyObject(value, '', 1);

  const bytes = Buffer.byteLength(JSON.stringify(copy), 'utf8');
  if (bytes > maxBytes) {
    throw new StoreError(
      'INVALID_METADATA',
      `invalid metadata: its JSON text is ${bytes} bytes, over the limit of ${maxBytes} bytes; ` +
        'store large data as a file of the package instead',
      { rule: 'too-large', size: bytes, limit: maxBytes },
    );
  }
  return copy;
}

/**
 * Validates a package name, producer or subject and returns it unchanged: a non-empty string of
 * at most 256 code points, well-formed Unicode, with no control characters and no leading or
 * trailing whitespace.
 *
 * @throws StoreError INVALID_ARGUMENT naming the field and the rule broken.
 */
export function validateLabel(field: LabelField, value: unknown): string {
  const reason = findLabelProblem(value);
  if (reason === undefined) return value as string;

  const shown = typeof value === 'string' ? ` ${quoteForMessage(value)}` : '';
  throw new StoreError('INVALID_ARGUMENT', `invalid ${field}${shown}: ${reason}`, {
    field,
    ...(typeof value === 'string' ? { value } : {}),
  });
}

function findLabelProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a string, got ${describeType(value)}`;
  if (value.length === 0) return 'must not be empty';

  const chars = [...value].length;
  if (chars > MAX_LABEL_CHARS) {
    return `is ${chars} characters long, over the limit of ${MAX_LABEL_CHARS}`;
  }
  if (LONE_SURROGATE_PATTERN.test(value)) return 'contains a lone UTF-16 surrogate';
  if (CONTROL_CHARACTER_PATTERN.test(value)) return 'contains a control character';
  if (/^\s|\s$/u.test(value)) return 'must not start or end with whitespace';
  return undefined;
}

function copyValue(value: unknown, at: string, depth: number): JsonValue {
  if (value === null || typeof value === 'boolean') return value;

  if (typeof value === 'number') return checkNumber(value, at);
  if (typeof value === 'string') {
    checkString(value, at);
    return value;
  }
  if (Array.isArray(value)) return copyArray(value, at, depth + 1);
  if (isPlainObject(value)) return copyObject(value, at, depth + 1);

  throw invalidMetadata('not-json', `${describeType(value)} is not a JSON value`, at);
}

function copyArray(array: unknown[], at: string, depth: number): JsonValue[] {
  checkDepth(at, depth);
  if (Object.getPrototypeOf(array) !== Array.prototype) {
    throw invalidMetadata('not-json', 'expected a plain array', at);
  }
  const copy: JsonValue[] = [];
  for (let index = 0; index < array.length; index++) {
    if (!Object.hasOwn(array, index))
      throw invalidMetadata('not-json', 'arrays must not have holes', at);
    copy.push(copyValue(array[index], `${at}[${index}]`, depth));
  }
  return copy;
}

function copyObject(object: object, at: string, depth: number): Metadata {
  checkDepth(at, depth);
  if (Object.getOwnPropertySymbols(object).length > 0) {
    throw invalidMetadata('not-json', 'symbol keys are not JSON', at);
  }
  const entries: Array<[string, JsonValue]> = [];
  for (const [key, item] of Object.entries(object)) {
    const path = `${at}.${key}`;
    checkString(key, path);
    if (item === undefined)
      throw invalidMetadata('not-json', 'undefined is not a JSON value', path);
    entries.push([key, copyValue(item, path, depth)]);
  }
  // Object.fromEntries defines own properties, so a "__proto__" key stays an ordinary key.
  return Object.fromEntries(entries);
}

function checkNumber(value: number, at: string): number {
  if (!Number.isFinite(value))
    throw invalidMetadata('not-json', `${value} is not a JSON number`, at);
  if (!Number.isInteger(value) || Math.abs(value) <= Number.MAX_SAFE_INTEGER) return value;

  // JSON parsing has already rounded the number, so the value shown may differ from the text.
  const reason =
    `the integer ${value} (as parsed) is beyond ±${Number.MAX_SAFE_INTEGER} and cannot be ` +
    'stored exactly; send it as a string';
  throw invalidMetadata('unsafe-integer', reason, at);
}

function checkDepth(at: string, depth: number): void {
  if (depth <= MAX_METADATA_DEPTH) return;
  const reason = `nesting is deeper than the limit of ${MAX_METADATA_DEPTH} levels; flatten it`;
  throw invalidMetadata('too-deep', reason, at);
}

function checkString(value: string, at: string): void {
  if (!LONE_SURROGATE_PATTERN.test(value)) return;
  const reason = 'a string contains a lone UTF-16 surrogate, which has no UTF-8 form';
  throw invalidMetadata('lone-surrogate', reason, at);
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return `a ${typeof value}`;
}

function invalidMetadata(rule: MetadataRule, reason: string, at: string): StoreError {
  const where = at === '' ? '' : ` at ${quoteForMessage(`$${at}`)}`;
  return new StoreError('INVALID_METADATA', `invalid metadata${where}: ${reason}`, {
    rule,
    location: `$${at}`,
  });
}
