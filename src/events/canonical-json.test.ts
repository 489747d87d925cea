import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts integer-like keys by code point', () => {
    assert.equal(canonicalJson({ b: 1, '10': 2, a: 3, '2': 4 }), '{"10":2,"2":4,"a":3,"b":1}');
  });

  it('sorts nested keys and keeps array order', () => {
    assert.equal(
      canonicalJson({ z: [{ y: 1, x: 2 }, 3], é: null }),
      '{"z":[{"x":2,"y":1},3],"é":null}',
    );
  });

  it('matches JSON.parse round trips', () => {
    const value = { n: -0.5, s: 'line\nbreak "quoted"', t: true, list: [] };
    assert.deepEqual(JSON.parse(canonicalJson(value)), value);
  });

  it('leaves out undefined members', () => {
    assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
  });
});
