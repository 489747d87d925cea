import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '../errors/store-error.js';
import { CommandFailure } from './command-failure.js';
import { EXIT_CODES, exitCodeOf } from './exit-codes.js';
import { toErrorObject } from './printer.js';

const PACKAGE_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

describe('CommandFailure', () => {
  it('keeps the exit status of the wrapped error', () => {
    const mismatch = new StoreError('SIZE_MISMATCH', 'changed size', { expected: 2, actual: 1 });
    assert.equal(
      exitCodeOf(new CommandFailure(mismatch, { packageId: PACKAGE_ID })),
      EXIT_CODES.INTEGRITY,
    );
    const plain = new CommandFailure(new Error('EACCES'), { packageId: PACKAGE_ID });
    assert.equal(exitCodeOf(plain), EXIT_CODES.FAILURE);
    assert.equal(exitCodeOf(plain, true), EXIT_CODES.CANCELLED);
  });

  it('adds its details to a store error', () => {
    const mismatch = new StoreError('SIZE_MISMATCH', 'changed size', { expected: 2, actual: 1 });
    const error = toErrorObject(new CommandFailure(mismatch, { packageId: PACKAGE_ID }));
    assert.deepEqual(error, {
      code: 'SIZE_MISMATCH',
      message: 'changed size',
      details: { expected: 2, actual: 1, packageId: PACKAGE_ID },
    });
  });

  it('adds its details to an error without a code', () => {
    const error = toErrorObject(new CommandFailure(new Error('EACCES'), { packageId: PACKAGE_ID }));
    assert.deepEqual(error, {
      code: 'INTERNAL',
      message: 'EACCES',
      details: { packageId: PACKAGE_ID },
    });
  });

  it('adds its details to a cancellation', () => {
    const aborted = new StoreError('UPLOAD_ABORTED', 'interrupted by SIGINT', { signal: 'SIGINT' });
    const error = toErrorObject(new CommandFailure(aborted, { packageId: PACKAGE_ID }), 'SIGINT');
    assert.deepEqual(error, {
      code: 'CANCELLED',
      message: 'cancelled by SIGINT',
      details: { packageId: PACKAGE_ID },
    });
  });
});
