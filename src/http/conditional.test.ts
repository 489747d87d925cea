import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDigest } from '../identity/digest.js';
import { ifNoneMatchHits, ifRangeAllows, strongEtag, weakEtag } from './conditional.js';

const DIGEST = formatDigest('ab'.repeat(32));
const OTHER = formatDigest('cd'.repeat(32));

describe('entity tags', () => {
  it('quotes the digest', () => {
    assert.equal(strongEtag(DIGEST), `"${DIGEST}"`);
    assert.equal(weakEtag(DIGEST), `W/"${DIGEST}"`);
  });
});

describe('ifNoneMatchHits', () => {
  const etag = strongEtag(DIGEST);

  it('misses without a header', () => {
    assert.equal(ifNoneMatchHits(undefined, etag), false);
  });

  it('hits an equal tag, in a list, weak or star', () => {
    assert.equal(ifNoneMatchHits(etag, etag), true);
    assert.equal(ifNoneMatchHits(`"x", ${etag}`, etag), true);
    assert.equal(ifNoneMatchHits(weakEtag(DIGEST), etag), true);
    assert.equal(ifNoneMatchHits(etag, weakEtag(DIGEST)), true);
    assert.equal(ifNoneMatchHits('*', etag), true);
  });

  it('misses other and unquoted tags', () => {
    assert.equal(ifNoneMatchHits(strongEtag(OTHER), etag), false);
    assert.equal(ifNoneMatchHits(DIGEST, etag), false);
  });
});

describe('ifRangeAllows', () => {
  const etag = strongEtag(DIGEST);

  it('allows without a header or with the equal strong tag', () => {
    assert.equal(ifRangeAllows(undefined, etag), true);
    assert.equal(ifRangeAllows(etag, etag), true);
  });

  it('forbids other tags, weak tags and dates', () => {
    assert.equal(ifRangeAllows(strongEtag(OTHER), etag), false);
    assert.equal(ifRangeAllows(weakEtag(DIGEST), etag), false);
    assert.equal(ifRangeAllows('Wed, 21 Oct 2015 07:28:00 GMT', etag), false);
  });
});
