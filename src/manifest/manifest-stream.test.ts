import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from 'cborg';
import { isStoreError } from '../errors/store-error.js';
import type { Digest } from '../identity/digest.js';
import { encodeManifest } from './cbor-codec.js';
import { CBOR_ARRAY, CBOR_MAP, encodeHead } from './cbor-head.js';
import {
  buildManifest,
  comparePaths,
  type ManifestFile,
  type ManifestPackage,
} from './manifest.js';
import { encodeManifestStream } from './manifest-stream.js';

const DIGEST_A = `blake3:${'a'.repeat(64)}` as Digest;
const DIGEST_B = `blake3:${'b'.repeat(64)}` as Digest;

const PACKAGE: ManifestPackage = {
  id: '01HZX5Y4R0K7C9N3M2P8Q6T1VW',
  name: 'nightly',
  producer: 'ci',
  subject: 'widget',
  retentionClass: 'standard',
  metadata: {
    commit: 'abc123',
    flags: [1, 2.5, -0, null, true, 'x'],
    nested: { deeper: { list: [{ a: 1 }, [], {}], big: 2 ** 53 - 1, small: -(2 ** 31) } },
    '\u{1f600}': 65504.5,
  },
  createdAt: '2024-05-01T10:00:00.000Z',
  createdBy: 'alice',
  finalizedAt: '2024-05-01T10:05:00.123Z',
  finalizedBy: 'bob',
};

function file(path: string, digest: Digest = DIGEST_A, size = 3): ManifestFile {
  return { path, digest, size, mediaType: 'application/octet-stream' };
}

/** `count` small files with distinct paths, sorted by `comparePaths`. */
function sortedFiles(count: number): ManifestFile[] {
  const files = Array.from({ length: count }, (_unused, index) =>
    file(`f${index}`, DIGEST_A, index),
  );
  return files.sort((a, b) => comparePaths(a.path, b.path));
}

/** Shuffles a copy with a fixed linear congruential sequence, so failures reproduce. */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  let state = 12345;
  for (let index = copy.length - 1; index > 0; index--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const other = state % (index + 1);
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer[]> {
  const collected: Buffer[] = [];
  for await (const chunk of chunks) collected.push(Buffer.from(chunk));
  return collected;
}

async function streamed(
  files: readonly ManifestFile[],
  pkg: ManifestPackage = PACKAGE,
  fileCount = files.length,
): Promise<Buffer> {
  return Buffer.concat(await collect(encodeManifestStream(pkg, fileCount, files)));
}

function whole(files: readonly ManifestFile[], pkg: ManifestPackage = PACKAGE): Buffer {
  return Buffer.from(encodeManifest(buildManifest(pkg, files)));
}

async function* asAsync<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function streamError(
  files: readonly ManifestFile[],
  pkg: ManifestPackage = PACKAGE,
  fileCount = files.length,
): Promise<{ field: unknown; message: string }> {
  try {
    await streamed(files, pkg, fileCount);
  } catch (err) {
    assert.ok(isStoreError(err, 'INVALID_MANIFEST'), `expected INVALID_MANIFEST, got ${err}`);
    return { field: err.details.field, message: err.message };
  }
  assert.fail('expected INVALID_MANIFEST');
}

function wholeError(files: readonly ManifestFile[], pkg: ManifestPackage = PACKAGE): string {
  try {
    whole(files, pkg);
  } catch (err) {
    assert.ok(isStoreError(err, 'INVALID_MANIFEST'), `expected INVALID_MANIFEST, got ${err}`);
    return err.message;
  }
  assert.fail('expected INVALID_MANIFEST');
}

describe('encodeHead', () => {
  it('matches cborg at every width boundary', () => {
    const boundaries = [0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
    for (const argument of boundaries) {
      // An unsigned integer is a head of major type 0 alone, so cborg writes the same bytes.
      const expected = Buffer.from(encode(argument));
      assert.deepEqual(Buffer.from(encodeHead(0, argument)), expected, `argument ${argument}`);
    }
  });

  it('writes array and map heads like cborg', () => {
    for (const count of [0, 23, 24, 256]) {
      const arrayBytes = encode(new Array(count).fill(0));
      assert.deepEqual(
        Buffer.from(encodeHead(CBOR_ARRAY, count)),
        Buffer.from(arrayBytes.subarray(0, arrayBytes.length - count)),
        `array of ${count}`,
      );
    }
    assert.deepEqual(Buffer.from(encodeHead(CBOR_MAP, 3)), Buffer.from([0xa3]));
  });

  it('rejects arguments without a head form', () => {
    assert.throws(() => encodeHead(CBOR_ARRAY, -1), RangeError);
    assert.throws(() => encodeHead(CBOR_ARRAY, 1.5), RangeError);
    assert.throws(() => encodeHead(CBOR_ARRAY, 2 ** 53), RangeError);
    assert.throws(() => encodeHead(8, 0), RangeError);
  });
});

describe('encodeManifestStream', () => {
  it('writes the keys in canonical order', async () => {
    const bytes = await streamed([file('a')]);
    const files = bytes.indexOf(encode('files'));
    const schema = bytes.indexOf(encode('schema'));
    const pkg = bytes.indexOf(encode('package'));
    assert.equal(files, 1);
    assert.ok(files < schema, 'files before schema');
    assert.ok(schema < pkg, 'schema before package');
  });

  for (const count of [0, 1, 23, 24, 255, 256, 65535, 65536]) {
    it(`equals encodeManifest for ${count} files`, async () => {
      const files = sortedFiles(count);
      assert.deepEqual(await streamed(files), whole(shuffled(files)));
    });
  }

  it('equals encodeManifest for unicode paths', async () => {
    const paths = [
      'z',
      '\u{1f600}/x',
      '\u{10000}',
      '\uff5e',
      '\ue000',
      'a/b',
      'a',
      'B',
      'caf\u00e9',
    ];
    const files = paths.map((path, index) => file(path, DIGEST_B, index));
    const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path));
    assert.deepEqual(
      sorted.map((entry) => entry.path),
      ['B', 'a', 'a/b', 'caf\u00e9', 'z', '\ue000', '\uff5e', '\u{10000}', '\u{1f600}/x'],
    );
    assert.deepEqual(await streamed(sorted), whole(files));
  });

  it('accepts an async iterable', async () => {
    const files = sortedFiles(3000);
    const chunks = await collect(encodeManifestStream(PACKAGE, files.length, asAsync(files)));
    assert.deepEqual(Buffer.concat(chunks), whole(files));
  });

  it('yields bounded chunks', async () => {
    const files = sortedFiles(65536);
    const chunks = await collect(encodeManifestStream(PACKAGE, files.length, files));
    assert.ok(chunks.length > 10, `expected many chunks, got ${chunks.length}`);
    const largest = Math.max(...chunks.map((chunk) => chunk.length));
    assert.ok(largest < 65 * 1024, `largest chunk is ${largest} bytes`);
  });

  it('copies only manifest fields of records', async () => {
    const record = { ...file('a'), addedAt: '2024-05-01T10:00:00.000Z', packageId: 'x' };
    const pkg = { ...PACKAGE, state: 'finalized', fileCount: 1 };
    assert.deepEqual(await streamed([record], pkg), whole([file('a')]));
  });

  it('rejects files out of order', async () => {
    const files = [file('b'), file('a')];
    const error = await streamError(files);
    assert.equal(error.field, 'files[1].path');
    assert.match(error.message, /files are not sorted by path: "a" follows "b"/);
  });

  it('rejects astral paths in UTF-16 order', async () => {
    const error = await streamError([file('\u{10000}'), file('\uffff')]);
    assert.equal(error.field, 'files[1].path');
    assert.match(error.message, /not sorted/);
  });

  it('rejects duplicate paths like buildManifest', async () => {
    const files = [file('a', DIGEST_A), file('a', DIGEST_B)];
    const error = await streamError(files);
    assert.equal(error.field, 'files[1].path');
    assert.equal(error.message, wholeError(files));
  });

  it('rejects an invalid entry like buildManifest', async () => {
    const cases: Array<[string, ManifestFile]> = [
      ['files[1].digest', { ...file('b'), digest: 'sha256:00' as Digest }],
      ['files[1].size', { ...file('b'), size: -1 }],
      ['files[1].mediaType', { ...file('b'), mediaType: '' }],
      ['files[1].path', file('b/../c')],
    ];
    for (const [field, invalid] of cases) {
      const files = [file('a'), invalid];
      const error = await streamError(files);
      assert.equal(error.field, field);
      assert.equal(error.message, wholeError(files));
    }
  });

  it('rejects an invalid package before any bytes', async () => {
    const pkg = { ...PACKAGE, finalizedAt: '2024-05-01' };
    const stream = encodeManifestStream(pkg, 1, [file('a')]);
    await assert.rejects(stream.next(), (err) => {
      assert.ok(isStoreError(err, 'INVALID_MANIFEST'));
      assert.equal(err.details.field, 'package.finalizedAt');
      assert.equal(err.message, wholeError([file('a')], pkg));
      return true;
    });
  });

  it('rejects fewer files than declared', async () => {
    const error = await streamError([file('a')], PACKAGE, 2);
    assert.equal(error.field, 'files');
    assert.match(error.message, /expected 2 entries.*got only 1/);
  });

  it('rejects more files than declared', async () => {
    const error = await streamError([file('a'), file('b')], PACKAGE, 1);
    assert.equal(error.field, 'files');
    assert.match(error.message, /expected 1 entries.*got more/);
  });
});
