import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negotiateMediaType } from './accept.js';

const OFFERED = ['application/json', 'application/cbor'];

describe('negotiateMediaType', () => {
  it('returns the first offer without a header', () => {
    assert.equal(negotiateMediaType(undefined, OFFERED), 'application/json');
    assert.equal(negotiateMediaType(' ', OFFERED), 'application/json');
  });

  it('matches exact types with parameters', () => {
    assert.equal(negotiateMediaType('application/cbor', OFFERED), 'application/cbor');
    assert.equal(negotiateMediaType('Application/CBOR', OFFERED), 'application/cbor');
    assert.equal(
      negotiateMediaType('application/json; charset=utf-8', OFFERED),
      'application/json',
    );
  });

  it('matches wildcards in offer order', () => {
    assert.equal(negotiateMediaType('*/*', OFFERED), 'application/json');
    assert.equal(negotiateMediaType('application/*', OFFERED), 'application/json');
  });

  it('follows weights', () => {
    assert.equal(
      negotiateMediaType('application/json;q=0.5, application/cbor', OFFERED),
      'application/cbor',
    );
    assert.equal(
      negotiateMediaType('*/*;q=0.1, application/cbor;q=0.2', OFFERED),
      'application/cbor',
    );
  });

  it('lets a specific range exclude a wildcard match', () => {
    assert.equal(negotiateMediaType('application/json;q=0, */*', OFFERED), 'application/cbor');
  });

  it('returns undefined when nothing offered is accepted', () => {
    assert.equal(negotiateMediaType('text/html', OFFERED), undefined);
    assert.equal(negotiateMediaType('application/xml, image/*', OFFERED), undefined);
    assert.equal(negotiateMediaType('*/*;q=0', OFFERED), undefined);
    assert.equal(negotiateMediaType('garbage', OFFERED), undefined);
  });
});
