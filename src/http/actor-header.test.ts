import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError } from '../errors/store-error.js';
import { decodeActorHeader } from './actor-header.js';

/** Returns `text` as Node.js presents a header sent as raw UTF-8 bytes: one character a byte. */
function asLatin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

describe('decodeActorHeader', () => {
  it('keeps plain ASCII', () => {
    assert.equal(decodeActorHeader('ci-bot'), 'ci-bot');
    assert.equal(decodeActorHeader('100% sure'), '100% sure');
  });

  it('decodes raw UTF-8 bytes', () => {
    assert.equal(decodeActorHeader(asLatin1('jürgen')), 'jürgen');
    assert.equal(decodeActorHeader(asLatin1('李雷')), '李雷');
  });

  it('keeps latin1 text that is not UTF-8', () => {
    assert.equal(decodeActorHeader('j\u00fcrgen'), 'j\u00fcrgen');
  });

  it('decodes percent-encoded UTF-8', () => {
    assert.equal(decodeActorHeader(encodeURIComponent('李雷')), '李雷');
    assert.equal(decodeActorHeader(encodeURIComponent('a b%c')), 'a b%c');
  });

  it('rejects an invalid escape', () => {
    for (const value of ['%FF', 'ok%zz%41', '%E6%9D']) {
      assert.throws(
        () => decodeActorHeader(value),
        (err) => isStoreError(err, 'INVALID_ARGUMENT') && /X-Actor/.test(err.message),
        value,
      );
    }
  });
});
