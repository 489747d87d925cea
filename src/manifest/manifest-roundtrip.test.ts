import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatDigest } from '../identity/digest.js';
import { validateRelativePath } from '../identity/relative-path.js';
import type { JsonValue } from '../registry/records.js';
import { decodeManifest, encodeManifest } from './cbor-codec.js';
import { renderManifestJson } from './json-render.js';
import { buildManifest, comparePaths, type Manifest, type ManifestFile } from './manifest.js';
import { encodeManifestStream } from './manifest-stream.js';

function isValidPath(path: string): boolean {
  try {
    validateRelativePath(path);
    return true;
  } catch {
    return false;
  }
}

const pathChar = fc.oneof(
  fc.constantFrom('a', 'Z', '0', '.', '-', '/', '\u00e9', 'e\u0301', '\uffff', '\u{1f600}'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

/** Arbitrary Unicode paths, normalized to NFC and kept only when the validator accepts them. */
const validPath = fc
  .string({ unit: pathChar, minLength: 1, maxLength: 16 })
  .map((path) => path.normalize('NFC'))
  .filter(isValidPath);

const ulid = fc.string({
  unit: fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZ'),
  minLength: 26,
  maxLength: 26,
});

const label = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 });

const timestamp = fc
  .date({
    min: new Date('1970-01-01T00:00:00.000Z'),
    max: new Date('9999-12-31T23:59:59.999Z'),
    noInvalidDate: true,
  })
  .map((date) => date.toISOString());

const metadataKey = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('__proto__', 'constructor', '10', '2', ''),
);

/** Metadata rejects integers beyond ±(2^53 − 1), since they cannot be stored exactly. */
const storableDouble = fc
  .double({ noNaN: true, noDefaultInfinity: true })
  .filter((value) => !Number.isInteger(value) || Number.isSafeInteger(value));

const number = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  storableDouble,
  fc.constantFrom(1.5, -0, 0.1, 65504, 65505, 1e-300, 5e-324, -(2 ** 53 - 1)),
);

const { jsonValue } = fc.letrec<{ jsonValue: JsonValue }>((tie) => ({
  jsonValue: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    fc.constant(null),
    fc.boolean(),
    number,
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.array(tie('jsonValue'), { maxLength: 4 }),
    fc.dictionary(metadataKey, tie('jsonValue'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));

const manifestPackage = fc.record({
  id: ulid,
  name: label,
  producer: label,
  subject: label,
  retentionClass: label,
  metadata: fc.dictionary(metadataKey, jsonValue, { maxKeys: 6, noNullPrototype: true }),
  createdAt: timestamp,
  createdBy: label,
  finalizedAt: timestamp,
  finalizedBy: label,
});

const manifestFile: fc.Arbitrary<ManifestFile> = fc.record({
  path: validPath,
  digest: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((hash) => formatDigest(hash)),
  size: fc.oneof(fc.nat(4096), fc.maxSafeNat(), fc.constant(2 ** 53 - 1)),
  mediaType: fc.oneof(
    fc.constantFrom('application/octet-stream', 'text/plain; charset=utf-8'),
    label,
  ),
});

const manifestInput = fc.tuple(
  manifestPackage,
  fc.uniqueArray(manifestFile, { selector: (file) => file.path, maxLength: 10 }),
);

/** Replaces -0 with 0, as CBOR and JSON both write it. Keeps "__proto__" keys as own keys. */
function withoutNegativeZero<T>(value: T): T {
  if (Object.is(value, -0)) return 0 as T;
  if (Array.isArray(value)) return value.map(withoutNegativeZero) as T;
  if (typeof value !== 'object' || value === null) return value;

  const entries = Object.entries(value).map(([key, item]) => [key, withoutNegativeZero(item)]);
  return Object.fromEntries(entries) as T;
}

function utf8Order(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

describe('manifest round trip', () => {
  it('encode, decode, encode is byte-identical', () => {
    fc.assert(
      fc.property(manifestInput, ([pkg, files]) => {
        const manifest = buildManifest(pkg, files);
        const bytes = encodeManifest(manifest);
        const decoded = decodeManifest(bytes);

        assert.deepEqual(Buffer.from(encodeManifest(decoded)), Buffer.from(bytes));
        assert.deepEqual(decoded, withoutNegativeZero(manifest));
      }),
      { numRuns: 400 },
    );
  });

  it('JSON rendering is stable', () => {
    fc.assert(
      fc.property(manifestInput, ([pkg, files]) => {
        const manifest = buildManifest(pkg, files);
        const json = renderManifestJson(manifest);
        const decoded = decodeManifest(encodeManifest(manifest));

        assert.equal(renderManifestJson(manifest), json);
        assert.equal(renderManifestJson(decoded), json);
        assert.deepEqual(JSON.parse(json), withoutNegativeZero(manifest));
      }),
      { numRuns: 400 },
    );
  });

  it('file order does not change bytes', () => {
    fc.assert(
      fc.property(manifestInput, ([pkg, files]) => {
        const forward = encodeManifest(buildManifest(pkg, files));
        const reversed = encodeManifest(buildManifest(pkg, [...files].reverse()));
        assert.deepEqual(Buffer.from(reversed), Buffer.from(forward));
      }),
      { numRuns: 200 },
    );
  });

  it('streamed encoding is byte-identical', async () => {
    await fc.assert(
      fc.asyncProperty(manifestInput, async ([pkg, files]) => {
        const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path));
        const chunks: Uint8Array[] = [];
        for await (const chunk of encodeManifestStream(pkg, sorted.length, sorted)) {
          chunks.push(chunk);
        }
        const whole = encodeManifest(buildManifest(pkg, files));
        assert.deepEqual(Buffer.concat(chunks), Buffer.from(whole));
      }),
      { numRuns: 400 },
    );
  });

  it('files are in UTF-8 byte order', () => {
    fc.assert(
      fc.property(manifestInput, ([pkg, files]) => {
        const manifest: Manifest = decodeManifest(encodeManifest(buildManifest(pkg, files)));
        const paths = manifest.files.map((file) => file.path);
        assert.deepEqual(paths, [...paths].sort(utf8Order));
        assert.equal(paths.length, files.length);
      }),
      { numRuns: 200 },
    );
  });
});
