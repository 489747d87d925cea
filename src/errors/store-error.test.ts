import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES, StoreError, isNotFound, isStoreError } from './store-error.js';

function documentedCodes(): Map<string, number> {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, number>();
  for (const match of text.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)) {
    rows.set(match[1] as string, Number(match[2]));
  }
  return rows;
}

describe('error catalog', () => {
  it('documents every code with its status', () => {
    const documented = documentedCodes();
    for (const [code, status] of Object.entries(ERROR_CODES)) {
      assert.equal(documented.get(code), status, `docs/errors.md row for ${code}`);
    }
  });

  it('documents no code the module lacks', () => {
    const extra = [...documentedCodes().keys()].filter((code) => !(code in ERROR_CODES));
    assert.deepEqual(extra, []);
  });

  it('carries code, status and details', () => {
    const err = new StoreError('PACKAGE_NOT_FOUND', 'package x not found', { packageId: 'x' });
    assert.equal(err.code, 'PACKAGE_NOT_FOUND');
    assert.equal(err.httpStatus, 404);
    assert.deepEqual(err.details, { packageId: 'x' });
    assert.ok(isNotFound(err));
    assert.ok(isStoreError(err, 'PACKAGE_NOT_FOUND'));
    assert.ok(!isStoreError(err, 'DUPLICATE_PATH'));
    assert.ok(!isStoreError(new Error('plain')));
  });
});
