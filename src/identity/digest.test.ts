import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError } from '../errors/store-error.js';
import { digestHex, formatDigest, isDigest, parseDigest } from './digest.js';

const HEX = 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262';
const VALID = `blake3:${HEX}`;

function assertInvalidDigest(run: () => unknown): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(isStoreError(err, 'INVALID_DIGEST'), `got ${String(err)}`);
    assert.equal(err.httpStatus, 400);
    return true;
  });
}

describe('parseDigest', () => {
  it('accepts a well-formed digest', () => {
    assert.equal(parseDigest(VALID), VALID);
    assert.equal(isDigest(VALID), true);
    assert.equal(digestHex(parseDigest(VALID)), HEX);
  });

  const rejected: Array<[string, string]> = [
    ['empty string', ''],
    ['bare hex', HEX],
    ['uppercase hex', `blake3:${HEX.toUpperCase()}`],
    ['uppercase algorithm', `BLAKE3:${HEX}`],
    ['other algorithm', `sha256:${HEX}`],
    ['63 hex digits', `blake3:${HEX.slice(1)}`],
    ['65 hex digits', `blake3:${HEX}0`],
    ['non-hex digit', `blake3:${HEX.slice(1)}g`],
    ['leading whitespace', ` ${VALID}`],
    ['trailing newline', `${VALID}\n`],
    ['missing colon', `blake3${HEX}`],
    ['path traversal', 'blake3:../../etc/passwd'],
  ];
  for (const [title, value] of rejected) {
    it(`rejects ${title}`, () => {
      assertInvalidDigest(() => parseDigest(value));
      assert.equal(isDigest(value), false);
    });
  }

  it('message shows the value and the expected form', () => {
    assert.throws(
      () => parseDigest('sha256:abc'),
      /invalid digest "sha256:abc": expected "blake3:" followed by 64 lowercase hex digits/,
    );
  });

  it('message shortens long values', () => {
    const long = 'x'.repeat(500);
    assert.throws(
      () => parseDigest(long),
      (err: unknown) => {
        assert.ok(isStoreError(err, 'INVALID_DIGEST'));
        assert.equal(err.details.value, `${'x'.repeat(80)}…`);
        assert.ok(err.message.length < 200, `message is ${err.message.length} characters`);
        return true;
      },
    );
  });

  it('rejects non-strings in isDigest', () => {
    assert.equal(isDigest(undefined), false);
    assert.equal(isDigest(42), false);
    assert.equal(isDigest({ toString: () => VALID }), false);
  });
});

describe('formatDigest', () => {
  it('formats 32 bytes', () => {
    assert.equal(formatDigest(Buffer.from(HEX, 'hex')), VALID);
    assert.equal(formatDigest(new Uint8Array(Buffer.from(HEX, 'hex'))), VALID);
  });

  it('formats 64 lowercase hex digits', () => {
    assert.equal(formatDigest(HEX), VALID);
  });

  const rejected: Array<[string, Uint8Array | string]> = [
    ['31 bytes', Buffer.alloc(31)],
    ['33 bytes', Buffer.alloc(33)],
    ['no bytes', Buffer.alloc(0)],
    ['uppercase hex', HEX.toUpperCase()],
    ['short hex', HEX.slice(2)],
    ['a full digest string', VALID],
    ['non-hex text', 'z'.repeat(64)],
  ];
  for (const [title, value] of rejected) {
    it(`rejects ${title}`, () => {
      assertInvalidDigest(() => formatDigest(value));
    });
  }
});
