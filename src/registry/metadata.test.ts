import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isStoreError, type StoreError } from '../errors/store-error.js';
import {
  type LabelField,
  MAX_METADATA_DEPTH,
  type MetadataRule,
  validateLabel,
  validateMetadata,
} from './metadata.js';

const LIMIT = 64 * 1024;

function catchError(run: () => unknown): StoreError {
  try {
    run();
  } catch (err) {
    assert.ok(isStoreError(err), `expected a StoreError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

function metadataRule(value: unknown, maxBytes = LIMIT): MetadataRule {
  const err = catchError(() => validateMetadata(value, maxBytes));
  assert.equal(err.code, 'INVALID_METADATA');
  return err.details.rule as MetadataRule;
}

/** Builds an object nested `depth` levels deep, counting the outermost object as level 1. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 1; level < depth; level++) value = { child: value };
  return value;
}

describe('validateMetadata', () => {
  it('accepts and copies JSON objects', () => {
    const input = { a: 1, b: [true, null, 'x', 1.5, { c: [] }], d: {} };
    const output = validateMetadata(input, LIMIT);
    assert.deepEqual(output, input);
    assert.notEqual(output, input);
    assert.notEqual(output.b, input.b);
  });

  it('accepts an empty object', () => {
    assert.deepEqual(validateMetadata({}, LIMIT), {});
  });

  it('accepts a null-prototype object', () => {
    const input = Object.assign(Object.create(null), { a: 1 });
    assert.deepEqual({ ...validateMetadata(input, LIMIT) }, { a: 1 });
  });

  it('keeps -0', () => {
    const output = validateMetadata({ zero: -0 }, LIMIT);
    assert.ok(Object.is(output.zero, -0));
  });

  it('keeps "__proto__" as an ordinary key', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}}');
    const output = validateMetadata(input, LIMIT);
    assert.equal(Object.getPrototypeOf(output), Object.prototype);
    assert.ok(Object.hasOwn(output, '__proto__'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  const notObjects: Array<[string, unknown]> = [
    ['null', null],
    ['array', [1]],
    ['string', '{}'],
    ['number', 1],
    ['undefined', undefined],
    ['Date', new Date(0)],
    ['Map', new Map()],
    ['class instance', new (class Point {})()],
  ];
  for (const [name, value] of notObjects) {
    it(`rejects top-level ${name}`, () => {
      assert.equal(metadataRule(value), 'not-an-object');
    });
  }

  const notJson: Array<[string, unknown]> = [
    ['undefined property', { a: undefined }],
    ['undefined in array', { a: [undefined] }],
    ['function', { a: () => 1 }],
    ['symbol value', { a: Symbol('s') }],
    ['symbol key', { [Symbol('s')]: 1 }],
    ['NaN', { a: Number.NaN }],
    ['Infinity', { a: Number.POSITIVE_INFINITY }],
    ['-Infinity', { a: [Number.NEGATIVE_INFINITY] }],
    ['bigint', { a: 1n }],
    ['Date', { a: new Date(0) }],
    ['array hole', { a: new Array(3) }],
    ['typed array', { a: new Uint8Array(2) }],
  ];
  for (const [name, value] of notJson) {
    it(`rejects ${name}`, () => {
      assert.equal(metadataRule(value), 'not-json');
    });
  }

  it('rejects lone surrogates in values and keys', () => {
    assert.equal(metadataRule({ a: 'x\ud800' }), 'lone-surrogate');
    assert.equal(metadataRule({ '\udc00': 1 }), 'lone-surrogate');
  });

  it('names the location of the fault', () => {
    const err = catchError(() => validateMetadata({ a: [{ b: Number.NaN }] }, LIMIT));
    assert.equal(err.details.location, '$.a[0].b');
    assert.ok(err.message.includes('$.a[0].b'), err.message);
  });

  it('accepts depth 32, rejects 33', () => {
    assert.deepEqual(validateMetadata(nested(MAX_METADATA_DEPTH), LIMIT), nested(32));
    assert.equal(metadataRule(nested(MAX_METADATA_DEPTH + 1)), 'too-deep');
  });

  it('counts arrays toward depth', () => {
    let value: unknown = 1;
    for (let level = 1; level < MAX_METADATA_DEPTH; level++) value = [value];
    assert.doesNotThrow(() => validateMetadata({ a: value }, LIMIT));
    assert.equal(metadataRule({ a: [value] }), 'too-deep');
  });

  it('rejects a cycle', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(metadataRule(cyclic), 'too-deep');
  });

  it('accepts JSON exactly at the limit', () => {
    const value = { a: 'x'.repeat(10) };
    const size = Buffer.byteLength(JSON.stringify(value));
    assert.doesNotThrow(() => validateMetadata(value, size));
    assert.equal(metadataRule(value, size - 1), 'too-large');
  });

  it('measures size in UTF-8 bytes', () => {
    const value = { a: '\u00e9'.repeat(100) };
    const err = catchError(() => validateMetadata(value, 150));
    assert.equal(err.details.size, 208);
    assert.equal(err.details.limit, 150);
    assert.ok(err.message.includes('208 bytes'), err.message);
    assert.ok(err.message.includes('150 bytes'), err.message);
  });

  it('rejects integers beyond the safe range', () => {
    const parsed = JSON.parse('{"a":{"i":12345678901234567890}}');
    const err = catchError(() => validateMetadata(parsed, LIMIT));
    assert.equal(err.code, 'INVALID_METADATA');
    assert.equal(err.details.rule, 'unsafe-integer');
    assert.equal(err.details.location, '$.a.i');
    assert.ok(err.message.includes('$.a.i'), err.message);
    assert.ok(err.message.includes('cannot be stored exactly'), err.message);
    assert.ok(err.message.includes('send it as a string'), err.message);
    assert.equal(metadataRule({ a: [-(2 ** 53)] }), 'unsafe-integer');
    assert.equal(metadataRule({ a: 1e300 }), 'unsafe-integer');
  });

  it('accepts the safe integer bounds and fractions', () => {
    const value = { max: Number.MAX_SAFE_INTEGER, min: Number.MIN_SAFE_INTEGER, f: 1.5e-300 };
    assert.deepEqual(validateMetadata(value, LIMIT), value);
  });

  it('returns a copy equal to its JSON round trip', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 6 })), (value) => {
        if (hasUnsafeInteger(value)) {
          assert.equal(metadataRule(value, Number.POSITIVE_INFINITY), 'unsafe-integer');
          return;
        }
        const output = validateMetadata(value, Number.POSITIVE_INFINITY);
        assert.deepEqual(JSON.parse(JSON.stringify(output)), JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});

/** Tells whether a JSON value contains an integer beyond ±Number.MAX_SAFE_INTEGER. */
function hasUnsafeInteger(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value);
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).some(hasUnsafeInteger);
}

describe('validateLabel', () => {
  it('keeps the raw value in details', () => {
    const err = catchError(() => validateLabel('name', 'a\u0000b'));
    assert.equal(err.details.value, 'a\u0000b');
    assert.ok(err.message.includes('"a\\u0000b"'), err.message);
  });

  it('returns a valid label unchanged', () => {
    assert.equal(validateLabel('name', 'nightly build'), 'nightly build');
    assert.equal(validateLabel('producer', '\u{1f680}'.repeat(256)), '\u{1f680}'.repeat(256));
    assert.equal(validateLabel('subject', 'a\u00e9b'), 'a\u00e9b');
  });

  const invalid: Array<[string, unknown]> = [
    ['non-string', 42],
    ['undefined', undefined],
    ['empty', ''],
    ['257 characters', 'x'.repeat(257)],
    ['newline', 'a\nb'],
    ['NUL', 'a\u0000'],
    ['DEL', 'a\u007f'],
    ['C1', 'a\u0090b'],
    ['leading space', ' a'],
    ['trailing tab', 'a\t'],
    ['trailing no-break space', 'a\u00a0'],
    ['lone surrogate', 'a\ud800b'],
  ];
  for (const [name, value] of invalid) {
    it(`rejects ${name}`, () => {
      for (const field of ['name', 'producer', 'subject'] as LabelField[]) {
        const err = catchError(() => validateLabel(field, value));
        assert.equal(err.code, 'INVALID_ARGUMENT');
        assert.equal(err.details.field, field);
        assert.ok(err.message.startsWith(`invalid ${field}`), err.message);
      }
    });
  }
});
