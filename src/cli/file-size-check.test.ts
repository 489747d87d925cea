import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { isStoreError, type StoreError } from '../errors/store-error.js';
import { createSizeCheck } from './file-size-check.js';

const CHUNK = 64 * 1024;

/**
 * Pipes `chunks` through a size check declaring `size`. Returns the bytes passed on, the bytes
 * reported to `onBytes` and the error, if any.
 */
async function runCheck(
  chunks: Buffer[],
  size: number,
): Promise<{ passed: number; counted: number; error: unknown }> {
  let passed = 0;
  let counted = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      passed += chunk.byteLength;
      callback();
    },
  });
  const check = createSizeCheck({ absolute: '/data/build.bin', size }, (bytes) => {
    counted += bytes;
  });
  try {
    await pipeline(Readable.from(chunks), check, sink);
    return { passed, counted, error: undefined };
  } catch (error) {
    return { passed, counted, error };
  }
}

function assertSizeMismatch(error: unknown, expected: number, actual: number): void {
  assert.ok(isStoreError(error, 'SIZE_MISMATCH'), `expected SIZE_MISMATCH, got ${error}`);
  const details = (error as StoreError).details;
  assert.equal(details.file, '/data/build.bin');
  assert.equal(details.expected, expected);
  assert.equal(details.actual, actual);
  assert.match((error as Error).message, /^\/data\/build\.bin changed size while it was read/);
  assert.match((error as Error).message, /push again once the file no longer changes$/);
}

describe('createSizeCheck', () => {
  it('passes a stream of the declared size', async () => {
    const chunks = [Buffer.alloc(CHUNK, 1), Buffer.alloc(CHUNK, 2), Buffer.alloc(100, 3)];
    const result = await runCheck(chunks, 2 * CHUNK + 100);
    assert.equal(result.error, undefined);
    assert.equal(result.passed, 2 * CHUNK + 100);
    assert.equal(result.counted, 2 * CHUNK + 100);
  });

  it('passes an empty file', async () => {
    const result = await runCheck([], 0);
    assert.equal(result.error, undefined);
    assert.equal(result.passed, 0);
  });

  it('rejects a stream longer than declared', async () => {
    const result = await runCheck([Buffer.alloc(CHUNK), Buffer.alloc(CHUNK)], CHUNK + 10);
    assertSizeMismatch(result.error, CHUNK + 10, 2 * CHUNK);
    assert.ok(result.passed <= CHUNK + 10, `passed ${result.passed} bytes`);
  });

  it('rejects bytes of a file declared empty', async () => {
    const result = await runCheck([Buffer.from('x')], 0);
    assertSizeMismatch(result.error, 0, 1);
    assert.equal(result.passed, 0);
  });

  it('holds back the last chunk of a file that grew', async () => {
    // The first chunk completes the declared size exactly, so only the second one shows that
    // the file grew. A receiver must not have got the whole declared body by then.
    const result = await runCheck([Buffer.alloc(CHUNK), Buffer.alloc(CHUNK)], CHUNK);
    assertSizeMismatch(result.error, CHUNK, 2 * CHUNK);
    assert.equal(result.passed, 0);
    assert.equal(result.counted, 0);
  });

  it('rejects a stream shorter than declared', async () => {
    const result = await runCheck([Buffer.alloc(CHUNK), Buffer.alloc(60)], 2 * CHUNK);
    assertSizeMismatch(result.error, 2 * CHUNK, CHUNK + 60);
    assert.match((result.error as Error).message, /but read only 65596;/);
  });

  it('rejects an empty stream for a file that had bytes', async () => {
    const result = await runCheck([], 100);
    assertSizeMismatch(result.error, 100, 0);
  });
});
