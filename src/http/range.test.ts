import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentRange, decideRange, unsatisfiedContentRange } from './range.js';

describe('decideRange', () => {
  const partial = (start: number, end: number) => ({ kind: 'partial', range: { start, end } });
  const full = { kind: 'full' };
  const unsatisfiable = { kind: 'unsatisfiable' };

  it('returns full without a header', () => {
    assert.deepEqual(decideRange(undefined, 10), full);
  });

  it('serves bounded, open-ended and suffix ranges', () => {
    assert.deepEqual(decideRange('bytes=0-3', 10), partial(0, 3));
    assert.deepEqual(decideRange('bytes=4-', 10), partial(4, 9));
    assert.deepEqual(decideRange('bytes=-3', 10), partial(7, 9));
    assert.deepEqual(decideRange('bytes=9-9', 10), partial(9, 9));
  });

  it('clamps ends past the last byte', () => {
    assert.deepEqual(decideRange('bytes=5-100', 10), partial(5, 9));
    assert.deepEqual(decideRange('bytes=-100', 10), partial(0, 9));
    assert.deepEqual(decideRange('bytes=0-99999999999999999999', 10), partial(0, 9));
  });

  it('accepts any case of the unit, spaces and empty list elements', () => {
    assert.deepEqual(decideRange('Bytes = 1-2', 10), partial(1, 2));
    assert.deepEqual(decideRange('bytes=, 1-2 ,', 10), partial(1, 2));
  });

  it('rejects starts at or past the end', () => {
    assert.deepEqual(decideRange('bytes=10-', 10), unsatisfiable);
    assert.deepEqual(decideRange('bytes=10-20', 10), unsatisfiable);
    assert.deepEqual(decideRange('bytes=99999999999999999999-', 10), unsatisfiable);
  });

  it('rejects every range of an empty representation', () => {
    assert.deepEqual(decideRange('bytes=0-', 0), unsatisfiable);
    assert.deepEqual(decideRange('bytes=0-0', 0), unsatisfiable);
    assert.deepEqual(decideRange('bytes=-1', 0), unsatisfiable);
  });

  it('rejects a zero-length suffix', () => {
    assert.deepEqual(decideRange('bytes=-0', 10), unsatisfiable);
  });

  it('ignores invalid syntax', () => {
    for (const header of [
      'bytes=',
      'bytes=a-b',
      'bytes=5-3',
      'bytes=1.5-2',
      'bytes=--1',
      'bytes 0-1',
      'items=0-1',
      '0-1',
      'bytes=0-1-2',
      'bytes=+1-2',
    ]) {
      assert.deepEqual(decideRange(header, 10), full, header);
    }
  });

  it('ignores multiple ranges', () => {
    assert.deepEqual(decideRange('bytes=0-1,3-4', 10), full);
    assert.deepEqual(decideRange('bytes=20-30,40-50', 10), full);
  });
});

describe('content range values', () => {
  it('formats partial and unsatisfied values', () => {
    assert.equal(contentRange({ start: 2, end: 5 }, 10), 'bytes 2-5/10');
    assert.equal(unsatisfiedContentRange(10), 'bytes */10');
  });
});
