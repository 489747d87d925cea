import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isStoreError } from '../errors/store-error.js';
import type { Digest } from '../identity/digest.js';
import {
  buildManifest,
  comparePaths,
  MANIFEST_SCHEMA,
  type ManifestFile,
  type ManifestPackage,
} from './manifest.js';
import { validateManifest } from './manifest-schema.js';

const DIGEST_A = `blake3:${'a'.repeat(64)}` as Digest;
const DIGEST_B = `blake3:${'b'.repeat(64)}` as Digest;

const PACKAGE: ManifestPackage = {
  id: '01HZX5Y4R0K7C9N3M2P8Q6T1VW',
  name: 'nightly',
  producer: 'ci',
  subject: 'widget',
  retentionClass: 'standard',
  metadata: { commit: 'abc123', flags: [1, 2.5] },
  createdAt: '2024-05-01T10:00:00.000Z',
  createdBy: 'alice',
  finalizedAt: '2024-05-01T10:05:00.123Z',
  finalizedBy: 'bob',
};

function file(path: string, digest: Digest = DIGEST_A): ManifestFile {
  return { path, digest, size: 3, mediaType: 'application/octet-stream' };
}

function manifestError(run: () => unknown): { field: unknown; message: string } {
  try {
    run();
  } catch (err) {
    assert.ok(isStoreError(err, 'INVALID_MANIFEST'), `expected INVALID_MANIFEST, got ${err}`);
    return { field: err.details.field, message: err.message };
  }
  assert.fail('expected INVALID_MANIFEST');
}

function without(object: object, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...object };
  delete copy[key];
  return copy;
}

describe('comparePaths', () => {
  it('orders astral after U+E000–U+FFFF', () => {
    assert.ok(comparePaths('\u{10000}', '\uffff') > 0);
    assert.ok(comparePaths('\ue000', '\u{1f600}') < 0);
    assert.ok(['\u{10000}', '\uffff'].sort()[0] === '\u{10000}', 'default sort differs');
  });

  it('orders prefixes first', () => {
    assert.ok(comparePaths('a', 'a/b') < 0);
    assert.ok(comparePaths('a/b', 'a') > 0);
    assert.equal(comparePaths('a/b', 'a/b'), 0);
  });

  it('matches UTF-8 byte order', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        const bytes = Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
        assert.equal(Math.sign(comparePaths(a, b)), bytes);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('buildManifest', () => {
  it('sorts files by code point', () => {
    const paths = ['z', '\u{1f600}', '\uff5e', 'a/b', 'a', 'B'];
    const manifest = buildManifest(
      PACKAGE,
      paths.map((path) => file(path)),
    );
    assert.deepEqual(
      manifest.files.map((entry) => entry.path),
      ['B', 'a', 'a/b', 'z', '\uff5e', '\u{1f600}'],
    );
  });

  it('sets the schema id', () => {
    assert.equal(buildManifest(PACKAGE, []).schema, MANIFEST_SCHEMA);
    assert.equal(MANIFEST_SCHEMA, 'artifactstore.manifest.v1');
  });

  it('copies only manifest fields', () => {
    const record = { ...PACKAGE, state: 'finalized', fileCount: 1, manifestDigest: null };
    const fileRecord = { ...file('x'), packageId: PACKAGE.id, addedAt: PACKAGE.createdAt };
    const manifest = buildManifest(record, [fileRecord]);
    assert.deepEqual(Object.keys(manifest.package).sort(), Object.keys(PACKAGE).sort());
    assert.deepEqual(manifest.files[0], file('x'));
  });

  it('leaves the input array unsorted', () => {
    const files = [file('b'), file('a')];
    buildManifest(PACKAGE, files);
    assert.deepEqual(
      files.map((entry) => entry.path),
      ['b', 'a'],
    );
  });

  it('rejects duplicate paths', () => {
    const error = manifestError(() =>
      buildManifest(PACKAGE, [file('a', DIGEST_A), file('a', DIGEST_B)]),
    );
    assert.equal(error.field, 'files[1].path');
    assert.ok(error.message.includes('duplicate path'), error.message);
  });

  it('rejects an invalid path', () => {
    const error = manifestError(() => buildManifest(PACKAGE, [file('a/../b')]));
    assert.equal(error.field, 'files[0].path');
  });

  it('rejects invalid metadata', () => {
    const pkg = { ...PACKAGE, metadata: { bad: Number.NaN } };
    assert.equal(manifestError(() => buildManifest(pkg, [])).field, 'package.metadata');
  });
});

describe('validateManifest', () => {
  const valid = { schema: MANIFEST_SCHEMA, package: PACKAGE, files: [file('a'), file('b')] };

  it('accepts a valid manifest', () => {
    assert.deepEqual(validateManifest(valid), valid);
  });

  const cases: Array<[string, unknown, string]> = [
    ['non-map', [valid], 'manifest'],
    ['unknown schema', { ...valid, schema: 'artifactstore.manifest.v2' }, 'schema'],
    ['missing files', { schema: valid.schema, package: valid.package }, 'files'],
    ['unknown top field', { ...valid, extra: 1 }, 'manifest'],
    ['missing package field', { ...valid, package: without(PACKAGE, 'name') }, 'package.name'],
    ['undefined name', { ...valid, package: { ...PACKAGE, name: undefined } }, 'package.name'],
    ['unknown package field', { ...valid, package: { ...PACKAGE, state: 'open' } }, 'package'],
    ['empty name', { ...valid, package: { ...PACKAGE, name: '' } }, 'package.name'],
    ['numeric producer', { ...valid, package: { ...PACKAGE, producer: 7 } }, 'package.producer'],
    ['bad id', { ...valid, package: { ...PACKAGE, id: 'not-a-ulid' } }, 'package.id'],
    ['metadata array', { ...valid, package: { ...PACKAGE, metadata: [] } }, 'package.metadata'],
    [
      'date-only time',
      { ...valid, package: { ...PACKAGE, createdAt: '2024-05-01' } },
      'package.createdAt',
    ],
    [
      'offset time',
      { ...valid, package: { ...PACKAGE, finalizedAt: '2024-05-01T10:05:00.123+00:00' } },
      'package.finalizedAt',
    ],
    [
      'impossible date',
      { ...valid, package: { ...PACKAGE, createdAt: '2024-02-30T00:00:00.000Z' } },
      'package.createdAt',
    ],
    ['files not array', { ...valid, files: {} }, 'files'],
    ['unsorted files', { ...valid, files: [file('b'), file('a')] }, 'files[1].path'],
    ['UTF-16 order', { ...valid, files: [file('\u{10000}'), file('\uffff')] }, 'files[1].path'],
    [
      'uppercase digest',
      { ...valid, files: [{ ...file('a'), digest: DIGEST_A.toUpperCase() }] },
      'files[0].digest',
    ],
    ['negative size', { ...valid, files: [{ ...file('a'), size: -1 }] }, 'files[0].size'],
    ['fractional size', { ...valid, files: [{ ...file('a'), size: 1.5 }] }, 'files[0].size'],
    ['size 2^53', { ...valid, files: [{ ...file('a'), size: 2 ** 53 }] }, 'files[0].size'],
    ['string size', { ...valid, files: [{ ...file('a'), size: '3' }] }, 'files[0].size'],
    [
      'empty media type',
      { ...valid, files: [{ ...file('a'), mediaType: '' }] },
      'files[0].mediaType',
    ],
    ['extra file field', { ...valid, files: [{ ...file('a'), mode: 420 }] }, 'files[0]'],
    [
      'byte-string path',
      { ...valid, files: [{ ...file('a'), path: new Uint8Array([97]) }] },
      'files[0].path',
    ],
  ];
  for (const [name, value, field] of cases) {
    it(`rejects ${name}`, () => {
      const error = manifestError(() => validateManifest(value));
      assert.equal(error.field, field);
      assert.ok(error.message.includes(field), error.message);
    });
  }
});
