import { CommanderError } from 'commander';
import { type ErrorCode, isStoreError } from '../errors/store-error.js';
import { unwrapCommandFailure } from './command-failure.js';

/** Exit statuses of the CLI; docs/cli.md lists them. Callers treat any other non-zero as failure. */
export const EXIT_CODES = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  INTEGRITY: 4,
  CONFLICT: 5,
  INVALID_INPUT: 6,
  UNAVAILABLE: 7,
  CONFIG: 78,
  CANCELLED: 130,
} as const;

/** One of the CLI exit statuses. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/**
 * Error codes whose exit status differs from what their HTTP status suggests. For example a
 * digest mismatch is answered with 400 by the server, but for the CLI it is an integrity failure.
 */
const EXIT_CODE_OVERRIDES: Partial<Record<ErrorCode, ExitCode>> = {
  DIGEST_MISMATCH: EXIT_CODES.INTEGRITY,
  SIZE_MISMATCH: EXIT_CODES.INTEGRITY,
  INTEGRITY_ERROR: EXIT_CODES.INTEGRITY,
  INVALID_MANIFEST: EXIT_CODES.INTEGRITY,
  INVALID_CONFIG: EXIT_CODES.CONFIG,
  UNEXPECTED_RESPONSE: EXIT_CODES.FAILURE,
  // A missing route means a wrong --server URL or an incompatible server, not a missing package.
  ROUTE_NOT_FOUND: EXIT_CODES.FAILURE,
  // The request did not reach the server in time, which a retry can fix like an outage.
  REQUEST_TIMEOUT: EXIT_CODES.UNAVAILABLE,
};

function exitCodeOfStatus(httpStatus: number): ExitCode {
  if (httpStatus === 404) return EXIT_CODES.NOT_FOUND;
  if (httpStatus === 409) return EXIT_CODES.CONFLICT;
  if (httpStatus === 503) return EXIT_CODES.UNAVAILABLE;
  if (httpStatus >= 400 && httpStatus < 500) return EXIT_CODES.INVALID_INPUT;
  return EXIT_CODES.FAILURE;
}

/** Tells whether a commander error only reports that help or the version was printed. */
export function isHelpOrVersion(err: unknown): boolean {
  if (!(err instanceof CommanderError)) return false;
  return err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
}

/**
 * Maps any error to the exit status of the CLI. This is the only place that decides exit
 * statuses: `cancelled` wins over the error itself, because an interrupted operation fails with
 * whatever error the interruption caused. A `CommandFailure` maps like the error it wraps.
 */
export function exitCodeOf(failure: unknown, cancelled = false): ExitCode {
  if (cancelled) return EXIT_CODES.CANCELLED;
  const { error: err } = unwrapCommandFailure(failure);
  if (isHelpOrVersion(err)) return EXIT_CODES.OK;
  if (err instanceof CommanderError) return EXIT_CODES.USAGE;
  if (!isStoreError(err)) return EXIT_CODES.FAILURE;
  return EXIT_CODE_OVERRIDES[err.code] ?? exitCodeOfStatus(err.httpStatus);
}
