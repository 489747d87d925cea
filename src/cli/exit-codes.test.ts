import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommanderError } from 'commander';
import { ERROR_CODES, type ErrorCode, StoreError } from '../errors/store-error.js';
import { EXIT_CODES, exitCodeOf } from './exit-codes.js';

/**
 * The exit status docs/cli.md promises for each error code. A code missing here fails the test,
 * so that a new code gets a deliberate exit status and a row in the docs.
 */
const EXPECTED: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: 6,
  INVALID_PATH: 6,
  INVALID_DIGEST: 6,
  INVALID_METADATA: 6,
  INVALID_RANGE: 6,
  INVALID_CURSOR: 6,
  INVALID_MANIFEST: 4,
  UNKNOWN_RETENTION_CLASS: 6,
  DIGEST_MISMATCH: 4,
  SIZE_MISMATCH: 4,
  PAYLOAD_TOO_LARGE: 6,
  PACKAGE_NOT_FOUND: 3,
  FILE_NOT_FOUND: 3,
  OBJECT_NOT_FOUND: 3,
  ROUTE_NOT_FOUND: 1,
  PACKAGE_FINALIZED: 5,
  NOT_ACCEPTABLE: 6,
  UNSUPPORTED_MEDIA_TYPE: 6,
  HEADERS_TOO_LARGE: 6,
  REQUEST_TIMEOUT: 7,
  PACKAGE_NOT_FINALIZED: 5,
  DUPLICATE_PATH: 5,
  PATH_CONFLICT: 5,
  STORE_NOT_EMPTY: 5,
  RANGE_NOT_SATISFIABLE: 6,
  UPLOAD_ABORTED: 6,
  INTEGRITY_ERROR: 4,
  INTERNAL_ERROR: 1,
  STORAGE_ERROR: 1,
  DATABASE_UNAVAILABLE: 7,
  STORAGE_UNAVAILABLE: 7,
  CONFLICT_RETRIES_EXHAUSTED: 7,
  INVALID_CONFIG: 78,
  MIGRATION_FAILED: 1,
  SERVER_UNAVAILABLE: 7,
  UNEXPECTED_RESPONSE: 1,
};

describe('exitCodeOf', () => {
  it('maps every error code as documented', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      assert.ok(code in EXPECTED, `${code} has no exit status in docs/cli.md and this test`);
      assert.equal(exitCodeOf(new StoreError(code, 'test')), EXPECTED[code], code);
    }
  });

  it('maps commander errors to usage', () => {
    const err = new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'");
    assert.equal(exitCodeOf(err), EXIT_CODES.USAGE);
  });

  it('maps printed help to success', () => {
    assert.equal(exitCodeOf(new CommanderError(0, 'commander.helpDisplayed', '')), EXIT_CODES.OK);
  });

  it('maps any other error to failure', () => {
    assert.equal(exitCodeOf(new TypeError('boom')), EXIT_CODES.FAILURE);
  });

  it('reports cancellation over the error', () => {
    const err = new StoreError('PACKAGE_NOT_FOUND', 'test');
    assert.equal(exitCodeOf(err, true), EXIT_CODES.CANCELLED);
  });
});
