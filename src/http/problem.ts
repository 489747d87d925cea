import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, StoreError, isStoreError } from '../errors/store-error.js';
import { explainRequestError, explainRoutingError } from './framework-errors.js';
import { fromValidationError } from './validation.js';

/** Base URI of the `type` member of problem documents. The code follows, lowercase and dashed. */
export const PROBLEM_TYPE_BASE = 'https://artifactstore.dev/problems/';

/** Media type of error responses (RFC 9457). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** Detail text of every 5xx response, so internal messages never reach the client. */
const INTERNAL_DETAIL =
  'the server failed to handle the request; retry later or report the requestId';

/**
 * An RFC 9457 problem document with the store's extension members. `instance` is the request URL,
 * absent only when the request could not be parsed (see client-errors.ts).
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  requestId: string;
  [extension: string]: unknown;
}

/** Returns the `type` URI of a problem code: `INVALID_PATH` → `…/problems/invalid-path`. */
export function problemType(code: ErrorCode): string {
  return PROBLEM_TYPE_BASE + code.toLowerCase().replaceAll('_', '-');
}

function problemTitle(code: ErrorCode): string {
  const words = code.toLowerCase().replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function fromFastifyStatus(error: FastifyError, status: number): StoreError {
  if (status === 413) return new StoreError('PAYLOAD_TOO_LARGE', error.message);
  if (status === 415) {
    return new StoreError('UNSUPPORTED_MEDIA_TYPE', `${error.message}; send application/json`);
  }
  return new StoreError('INVALID_ARGUMENT', error.message);
}

/**
 * Converts anything a route or Fastify throws into a `StoreError`: Fastify's validation and body
 * parsing errors become client errors, and anything unexpected becomes INTERNAL_ERROR.
 */
export function toStoreError(error: unknown): StoreError {
  if (isStoreError(error)) return error;
  const fastifyError = error as FastifyError;
  if (Array.isArray(fastifyError?.validation)) return fromValidationError(fastifyError);

  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return fromFastifyStatus(fastifyError, status);
  }
  return new StoreError('INTERNAL_ERROR', INTERNAL_DETAIL, {}, error);
}

/**
 * Builds the problem document of `error` for the request with id `requestId` and URL `instance`.
 * 5xx documents carry no details.
 */
export function toProblem(error: StoreError, requestId: string, instance?: string): Problem {
  // A 503 states a condition the client can act on (retry later), not an internal fault.
  const internal = error.httpStatus >= 500 && error.httpStatus !== 503;
  return {
    ...(internal ? {} : error.details),
    type: problemType(error.code),
    title: problemTitle(error.code),
    status: error.httpStatus,
    detail: internal ? INTERNAL_DETAIL : error.message,
    code: error.code,
    ...(instance === undefined ? {} : { instance }),
    requestId,
  };
}

/** Builds the problem document of `error` for `request`. 5xx documents carry no details. */
export function buildProblem(error: StoreError, request: FastifyRequest): Problem {
  return toProblem(error, request.id, request.url);
}

/**
 * Sends `error` as a problem document and logs it: 5xx at error with the original error under
 * `err`, except 503, which is logged at warn and rate-limited; 4xx at info with the code only. When the request body was not read to the end, the
 * response closes the connection so that the client stops sending it.
 */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const storeError = toStoreError(error);
  if (storeError.httpStatus === 503) {
    logUnavailable(request, error, storeError);
    reply.header('retry-after', '1');
  } else if (storeError.httpStatus >= 500) {
    request.log.error({ err: error, code: storeError.code }, 'request failed');
  } else {
    request.log.info({ code: storeError.code, detail: storeError.message }, 'request rejected');
  }

  if (!request.raw.complete) reply.header('connection', 'close');
  const problem = buildProblem(storeError, request);
  reply.code(problem.status).type(PROBLEM_MEDIA_TYPE).send(JSON.stringify(problem));
}

/** Interval between two log lines about the same unavailable dependency, in milliseconds. */
const UNAVAILABLE_LOG_INTERVAL_MS = 10_000;

const lastUnavailableLog = new Map<string, { at: number; suppressed: number }>();

/**
 * Logs a 503 at warn: the first one of its code, then at most one line every
 * UNAVAILABLE_LOG_INTERVAL_MS that counts the ones left out. During a database outage every
 * request fails the same way, and one line per request would flood the log.
 */
function logUnavailable(request: FastifyRequest, error: unknown, storeError: StoreError): void {
  const now = Date.now();
  const last = lastUnavailableLog.get(storeError.code);
  if (last !== undefined && now - last.at < UNAVAILABLE_LOG_INTERVAL_MS) {
    last.suppressed++;
    return;
  }
  const suppressed = last?.suppressed ?? 0;
  lastUnavailableLog.set(storeError.code, { at: now, suppressed: 0 });
  request.log.warn(
    { err: error, code: storeError.code, suppressed },
    'request failed: dependency unavailable',
  );
}

/** Limits that problem documents name. */
export interface ProblemLimits {
  /** Maximum size of package metadata as JSON text, in bytes. */
  maxMetadataBytes: number;
}

/** Route patterns and the router's limit, which explain errors raised before routing. */
export interface RoutingLimits {
  /** URL patterns of the registered routes, such as `/v1/packages/:id`. */
  routes: readonly string[];
  /** Maximum length of one path parameter, in characters, as the router counts them. */
  maxParamLength: number;
}

/**
 * Returns the handler of the errors that Fastify's router raises before any hook runs (its
 * `frameworkErrors` option), such as a URL that is not valid percent-encoded UTF-8 or a path
 * parameter over `maxParamLength`. It sends them as problem documents.
 */
export function createFrameworkErrorHandler(
  limits: RoutingLimits,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    // The onRequest hook that sets this header does not run for these requests.
    reply.header('x-request-id', request.id);
    sendProblem(explainRoutingError(error, request, limits), request, reply);
  };
}

/** Installs the problem+json error handler and the 404 handler for unknown routes. */
export function registerProblemHandlers(app: FastifyInstance, limits: ProblemLimits): void {
  app.setErrorHandler((error, request, reply) => {
    sendProblem(explainRequestError(error, request, limits.maxMetadataBytes), request, reply);
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new StoreError(
      'ROUTE_NOT_FOUND',
      `no route for ${request.method} ${request.url}; see /docs for the routes of this API`,
      { method: request.method },
    );
    sendProblem(error, request, reply);
  });
}
