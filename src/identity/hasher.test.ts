import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { isStoreError } from '../errors/store-error.js';
import vectors from './blake3-test-vectors.json' with { type: 'json' };
import { ContentHasher, digestOf, HashingStream } from './hasher.js';

// The official BLAKE3 test vectors: test_vectors/test_vectors.json of the BLAKE3-team/BLAKE3
// repository at commit 2f6f56f3477321c9e4742f1c863e45f2cfcbfb5e. Our JSON keeps input_len and the
// first 32 bytes of each `hash` (the default output length); keyed_hash and derive_key are unused.
const cases: ReadonlyArray<{ input_len: number; hash: string }> = vectors.cases;

/** Builds the vector input: bytes 0, 1, …, 250 repeated up to `length`. */
function vectorInput(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) bytes[index] = index % 251;
  return bytes;
}

async function hashThroughStream(bytes: Buffer, chunkSize: number): Promise<HashingStream> {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += chunkSize) {
    chunks.push(bytes.subarray(start, start + chunkSize));
  }
  const hashing = new HashingStream();
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  await pipeline(Readable.from(chunks), hashing, sink);
  return hashing;
}

describe('BLAKE3 test vectors', () => {
  it('vector file has every case', () => {
    assert.equal(cases.length, 22);
    assert.deepEqual(cases.map((vector) => vector.input_len).slice(0, 5), [0, 1, 1023, 1024, 1025]);
  });

  for (const vector of cases) {
    it(`digestOf, input_len ${vector.input_len}`, () => {
      assert.equal(digestOf(vectorInput(vector.input_len)), `blake3:${vector.hash}`);
    });
  }

  it('ContentHasher in uneven updates', () => {
    for (const vector of cases) {
      const bytes = vectorInput(vector.input_len);
      const hasher = new ContentHasher();
      for (let start = 0, step = 1; start < bytes.length; start += step, step = step * 2 + 1) {
        hasher.update(bytes.subarray(start, start + step));
      }
      assert.equal(hasher.digest(), `blake3:${vector.hash}`, `input_len ${vector.input_len}`);
      assert.equal(hasher.size, vector.input_len);
    }
  });

  it('HashingStream in 1000-byte chunks', async () => {
    for (const vector of cases) {
      const hashing = await hashThroughStream(vectorInput(vector.input_len), 1000);
      assert.equal(
        hashing.hasher.digest(),
        `blake3:${vector.hash}`,
        `input_len ${vector.input_len}`,
      );
      assert.equal(hashing.hasher.size, vector.input_len);
    }
  });
});

describe('HashingStream', () => {
  it('accepts exactly maxSize bytes', async () => {
    const hashing = new HashingStream({ maxSize: 10 });
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    await pipeline(Readable.from([Buffer.alloc(4), Buffer.alloc(6)]), hashing, sink);
    assert.equal(hashing.hasher.size, 10);
  });

  it('rejects the byte past maxSize', async () => {
    const hashing = new HashingStream({ maxSize: 10 });
    const passed: Buffer[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        passed.push(chunk);
        done();
      },
    });
    const run = pipeline(Readable.from([Buffer.alloc(10), Buffer.alloc(1)]), hashing, sink);
    await assert.rejects(run, (err: unknown) => {
      assert.ok(isStoreError(err, 'PAYLOAD_TOO_LARGE'), `got ${String(err)}`);
      assert.equal(err.details.limit, 10);
      return true;
    });
    assert.equal(Buffer.concat(passed).length, 10, 'the excess byte was not passed on');
  });

  it('digest of the empty stream', async () => {
    const hashing = await hashThroughStream(Buffer.alloc(0), 1);
    assert.equal(hashing.hasher.digest(), digestOf(''));
  });
});
