import type { Dispatcher } from 'undici';
import { ERROR_CODES, type ErrorCode, StoreError } from '../errors/store-error.js';

/** Members of an RFC 9457 problem document that are not part of `StoreError.details`. */
const PROBLEM_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'code', 'instance']);

/** Error codes of undici and of Node's sockets that mean no connection could be opened. */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Error codes that mean an open connection failed or timed out. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

type Problem = Record<string, unknown>;

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

function problemDetails(problem: Problem): Problem {
  const details: Problem = {};
  for (const [key, value] of Object.entries(problem)) {
    if (!PROBLEM_MEMBERS.has(key)) details[key] = value;
  }
  return details;
}

async function readProblem(body: Dispatcher.ResponseData['body']): Promise<unknown> {
  try {
    return await body.json();
  } catch {
    return undefined;
  }
}

/**
 * Turns an error response into the `StoreError` the server raised: a problem+json body with a
 * known `code` keeps that code, message and details. Any other error response becomes
 * SERVER_UNAVAILABLE for 502–504 and UNEXPECTED_RESPONSE otherwise.
 */
export async function errorFromResponse(
  response: Dispatcher.ResponseData,
  request: { method: string; url: string },
): Promise<StoreError> {
  const status = response.statusCode;
  const problem = await readProblem(response.body);
  const fields = typeof problem === 'object' && problem !== null ? (problem as Problem) : {};
  if (isErrorCode(fields.code)) {
    const message = String(fields.detail ?? fields.title ?? `HTTP ${status}`);
    return new StoreError(fields.code as ErrorCode, message, problemDetails(fields));
  }
  const where = `${request.method} ${request.url}`;
  const remoteCode = fields.code;
  if (status >= 502 && status <= 504) {
    return new StoreError(
      'SERVER_UNAVAILABLE',
      `${where} failed with HTTP ${status}; retry later`,
      {
        status,
      },
    );
  }
  return new StoreError(
    'UNEXPECTED_RESPONSE',
    `${where} failed with HTTP ${status} and no known error code; check that --server points at an artifactstore server of a compatible version`,
    { status, remoteCode },
  );
}

/**
 * Wraps a network failure as SERVER_UNAVAILABLE naming the server. Returns any other error
 * unchanged, so aborts and file system errors keep their identity.
 */
export function wrapNetworkError(err: unknown, server: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return err;
  const reason = err instanceof Error ? err.message : String(err);
  if (CONNECT_ERROR_CODES.has(code)) {
    return new StoreError(
      'SERVER_UNAVAILABLE',
      `cannot reach the server at ${server} (${reason}); check --server or ARTIFACTSTORE_SERVER_URL and that the server is running`,
      { server, cause: code },
      err,
    );
  }
  if (!CONNECTION_ERROR_CODES.has(code)) return err;
  return new StoreError(
    'SERVER_UNAVAILABLE',
    `the connection to the server at ${server} failed (${reason}); the server logs may tell why`,
    { server, cause: code },
    err,
  );
}
