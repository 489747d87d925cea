import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode, rfc8949EncodeOptions } from 'cborg';
import { isStoreError } from '../errors/store-error.js';
import type { Digest } from '../identity/digest.js';
import { decodeManifest, encodeManifest } from './cbor-codec.js';
import { buildManifest, type Manifest } from './manifest.js';

const MANIFEST = buildManifest(
  {
    id: '01HZX5Y4R0K7C9N3M2P8Q6T1VW',
    name: 'nightly',
    producer: 'ci',
    subject: 'widget',
    retentionClass: 'standard',
    metadata: { ratio: 1.5 },
    createdAt: '2024-05-01T10:00:00.000Z',
    createdBy: 'alice',
    finalizedAt: '2024-05-01T10:05:00.000Z',
    finalizedBy: 'alice',
  },
  [{ path: 'bin/tool', digest: `blake3:${'c'.repeat(64)}` as Digest, size: 3, mediaType: 'a/b' }],
);

// A minimal CBOR writer, so tests can build encodings that cborg itself would never write.
type Bytes = number[];

function head(major: number, value: number): Bytes {
  const type = major << 5;
  if (value < 24) return [type | value];
  if (value < 0x100) return [type | 24, value];
  if (value < 0x10000) return [type | 25, value >> 8, value & 0xff];
  return [
    type | 26,
    (value >>> 24) & 0xff,
    (value >> 16) & 0xff,
    (value >> 8) & 0xff,
    value & 0xff,
  ];
}

const uint = (value: number): Bytes => head(0, value);
const text = (value: string): Bytes => {
  const bytes = [...Buffer.from(value, 'utf8')];
  return [...head(3, bytes.length), ...bytes];
};
const array = (items: Bytes[]): Bytes => [...head(4, items.length), ...items.flat()];
const map = (entries: Array<[string, Bytes]>): Bytes => [
  ...head(5, entries.length),
  ...entries.flatMap(([key, value]) => [...text(key), ...value]),
];
const hex = (digits: string): Bytes => [...Buffer.from(digits.replace(/ /g, ''), 'hex')];

/** Sorts entries as RFC 8949 core deterministic encoding does: by the bytes of the encoded key. */
function sortedMap(entries: Array<[string, Bytes]>): Bytes {
  const sorted = [...entries].sort(([a], [b]) =>
    Buffer.compare(Buffer.from(text(a)), Buffer.from(text(b))),
  );
  return map(sorted);
}

interface Parts {
  metadataValue: Bytes;
  size: Bytes;
  path: Bytes;
  files: (items: Bytes[]) => Bytes;
  packageMap: (entries: Array<[string, Bytes]>) => Bytes;
  topMap: (entries: Array<[string, Bytes]>) => Bytes;
}

const CANONICAL: Parts = {
  metadataValue: hex('f9 3e00'),
  size: uint(3),
  path: text('bin/tool'),
  files: array,
  packageMap: sortedMap,
  topMap: sortedMap,
};

/** Builds the bytes of MANIFEST, with any part replaced by a non-canonical form. */
function build(overrides: Partial<Parts> = {}): Uint8Array {
  const parts = { ...CANONICAL, ...overrides };
  const pkg = MANIFEST.package;
  const fileMap = sortedMap([
    ['path', parts.path],
    ['digest', text(MANIFEST.files[0]!.digest)],
    ['size', parts.size],
    ['mediaType', text('a/b')],
  ]);
  const packageMap = parts.packageMap([
    ['id', text(pkg.id)],
    ['name', text(pkg.name)],
    ['producer', text(pkg.producer)],
    ['subject', text(pkg.subject)],
    ['retentionClass', text(pkg.retentionClass)],
    ['metadata', map([['ratio', parts.metadataValue]])],
    ['createdAt', text(pkg.createdAt)],
    ['createdBy', text(pkg.createdBy)],
    ['finalizedAt', text(pkg.finalizedAt)],
    ['finalizedBy', text(pkg.finalizedBy)],
  ]);
  const top = parts.topMap([
    ['schema', text(MANIFEST.schema)],
    ['package', packageMap],
    ['files', parts.files([fileMap])],
  ]);
  return Uint8Array.from(top);
}

function decodeProblem(bytes: Uint8Array): { problem: unknown; message: string } {
  try {
    decodeManifest(bytes);
  } catch (err) {
    assert.ok(isStoreError(err, 'INVALID_MANIFEST'), `expected INVALID_MANIFEST, got ${err}`);
    return { problem: err.details.problem, message: err.message };
  }
  assert.fail('expected INVALID_MANIFEST');
}

describe('encodeManifest', () => {
  it('writes the canonical bytes', () => {
    assert.deepEqual(Buffer.from(encodeManifest(MANIFEST)), Buffer.from(build()));
  });

  it('orders top-level keys by encoded bytes', () => {
    const bytes = encodeManifest(MANIFEST);
    const at = (key: string) => Buffer.from(bytes).indexOf(Buffer.from(text(key)));
    assert.ok(at('files') < at('schema'));
    assert.ok(at('schema') < at('package'));
  });

  it('writes -0 as integer 0', () => {
    const withZero = (zero: number): Manifest => ({
      ...MANIFEST,
      package: { ...MANIFEST.package, metadata: { zero } },
    });
    const bytes = encodeManifest(withZero(-0));
    assert.deepEqual(Buffer.from(bytes), Buffer.from(encodeManifest(withZero(0))));
    const decoded = decodeManifest(bytes);
    assert.deepEqual(Buffer.from(encodeManifest(decoded)), Buffer.from(bytes));
    assert.ok(Object.is(decoded.package.metadata.zero, 0));
  });

  it('rejects an unsorted manifest', () => {
    const unsorted = { ...MANIFEST, files: [...MANIFEST.files, ...MANIFEST.files].reverse() };
    assert.throws(
      () => encodeManifest(unsorted),
      (err) => isStoreError(err, 'INVALID_MANIFEST'),
    );
  });
});

describe('decodeManifest', () => {
  it('decodes canonical bytes', () => {
    assert.deepEqual(decodeManifest(build()), MANIFEST);
  });

  it('accepts a Buffer', () => {
    assert.deepEqual(decodeManifest(Buffer.from(build())), MANIFEST);
  });

  it('keeps a leading U+FEFF in text', () => {
    // One string of each length form: 1-byte, 1-byte argument and 2-byte argument.
    const long = `\ufeff${'x'.repeat(300)}`;
    const manifest = buildManifest(
      { ...MANIFEST.package, metadata: { '\ufeffkey': '\ufeffvalue', long: long } },
      [
        { ...MANIFEST.files[0]!, path: '\ufeffa' },
        { ...MANIFEST.files[0]!, path: `\ufeff${'y'.repeat(30)}` },
      ],
    );
    assert.deepEqual(decodeManifest(encodeManifest(manifest)), manifest);
  });

  const notCanonical: Array<[string, Partial<Parts>, string]> = [
    ['unsorted top-level keys', { topMap: map }, 'map keys are not sorted'],
    ['unsorted package keys', { packageMap: map }, 'map keys are not sorted'],
    ['float64 for 1.5', { metadataValue: hex('fb 3ff8000000000000') }, 'shortest form'],
    ['float32 for 1.5', { metadataValue: hex('fa 3fc00000') }, 'shortest form'],
    ['float16 for size 3', { size: hex('f9 4200') }, 'shortest form'],
    ['float16 -0', { metadataValue: hex('f9 8000') }, 'shortest form'],
    ['invalid UTF-8 path', { path: hex('62 c328') }, 'not valid UTF-8'],
  ];
  for (const [name, overrides, expected] of notCanonical) {
    it(`rejects ${name}`, () => {
      const { problem, message } = decodeProblem(build(overrides));
      assert.equal(problem, 'not-canonical');
      assert.ok(message.includes(expected), message);
    });
  }

  const notStrict: Array<[string, Partial<Parts>]> = [
    ['non-minimal integer', { size: hex('19 0003') }],
    ['non-minimal text length', { path: [...hex('78 08'), ...Buffer.from('bin/tool')] }],
    ['indefinite array', { files: (items) => [0x9f, ...items.flat(), 0xff] }],
    ['indefinite map', { packageMap: (entries) => [0xbf, ...map(entries).slice(1), 0xff] }],
    [
      'duplicate key',
      { packageMap: (entries) => sortedMap([...entries, ['name', text('other')]]) },
    ],
    ['NaN', { metadataValue: hex('f9 7e00') }],
    ['Infinity', { metadataValue: hex('f9 7c00') }],
    ['undefined', { metadataValue: hex('f7') }],
    ['integer above 2^53', { size: hex('1b 0020000000000000') }],
    ['tag', { metadataValue: hex('c1 00') }],
  ];
  for (const [name, overrides] of notStrict) {
    it(`rejects ${name}`, () => {
      assert.equal(decodeProblem(build(overrides)).problem, 'not-strict-cbor');
    });
  }

  it('rejects trailing bytes', () => {
    const bytes = Uint8Array.from([...build(), 0x00]);
    assert.equal(decodeProblem(bytes).problem, 'not-strict-cbor');
  });

  it('rejects empty and truncated input', () => {
    assert.equal(decodeProblem(new Uint8Array()).problem, 'not-strict-cbor');
    assert.equal(decodeProblem(build().subarray(0, 40)).problem, 'not-strict-cbor');
  });

  it('rejects a valid CBOR non-manifest', () => {
    const bytes = encode({ hello: 'world' }, rfc8949EncodeOptions);
    const { message } = decodeProblem(bytes);
    assert.ok(message.includes('schema'), message);
  });

  it('rejects an unknown schema id', () => {
    const bytes = encode({ ...MANIFEST, schema: 'other.v1' }, rfc8949EncodeOptions);
    const { message } = decodeProblem(bytes);
    assert.ok(message.includes('"other.v1"'), message);
  });

  it('rejects a byte string for text', () => {
    const pkg = { ...MANIFEST.package, name: new Uint8Array([1]) };
    const bytes = encode({ ...MANIFEST, package: pkg }, rfc8949EncodeOptions);
    assert.ok(decodeProblem(bytes).message.includes('package.name'));
  });

  it('rejects duplicate paths', () => {
    const files = [MANIFEST.files[0], MANIFEST.files[0]];
    const bytes = encode({ ...MANIFEST, files }, rfc8949EncodeOptions);
    assert.ok(decodeProblem(bytes).message.includes('duplicate path'));
  });
});
