/**
 * Errors that Fastify raises itself, before a route handler runs, rewritten as `StoreError`s
 * whose messages fit this API. Each function returns `error` unchanged when it does not apply.
 */

import type { FastifyError, FastifyRequest } from 'fastify';
import { StoreError } from '../errors/store-error.js';
import type { RoutingLimits } from './problem.js';

/** Returns the `code` of a Fastify error, such as `FST_ERR_CTP_BODY_TOO_LARGE`. */
function fastifyCode(error: unknown): string | undefined {
  return (error as FastifyError | undefined)?.code;
}

/** Returns the method and URL pattern of the route of `request`, such as `POST /v1/packages`. */
function routeName(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
}

/** The members of a route's body schema that error messages describe. */
interface BodySchema {
  type?: unknown;
  required?: unknown;
}

/**
 * Describes the body that the route of `request` expects, such as "a JSON object with the fields
 * name, producer and subject", or returns undefined when the route reads no body.
 */
function expectedBody(request: FastifyRequest): string | undefined {
  const schema = request.routeOptions.schema?.body as BodySchema | undefined;
  if (schema === undefined) return undefined;
  if (schema.type !== 'object') return 'a JSON body as /docs describes it';
  const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
  if (required.length === 0) return 'a JSON object';
  const fields =
    required.length === 1
      ? required[0]
      : `${required.slice(0, -1).join(', ')} and ${required.at(-1)}`;
  return `a JSON object with the field${required.length === 1 ? '' : 's'} ${fields}`;
}

/** Returns the next step for a request whose body the route cannot use. */
function bodyAdvice(request: FastifyRequest): string {
  const body = expectedBody(request);
  if (body === undefined) return `${routeName(request)} reads no body, so send none`;
  return `send ${body} as the body, with Content-Type: application/json`;
}

/**
 * Explains a JSON body over the route's body limit: it names the limit and the smaller limit of
 * package metadata, which is the only member that can grow that large.
 */
export function explainBodyTooLarge(
  error: unknown,
  request: FastifyRequest,
  maxMetadataBytes: number,
): unknown {
  if (fastifyCode(error) !== 'FST_ERR_CTP_BODY_TOO_LARGE') return error;
  const limit = request.routeOptions.bodyLimit;
  return new StoreError(
    'PAYLOAD_TOO_LARGE',
    `request body exceeds the limit of ${limit} bytes; package metadata may be at most ` +
      `${maxMetadataBytes} bytes of JSON (ARTIFACTSTORE_MAX_METADATA_BYTES), so store large ` +
      'data as a file of the package instead',
    { limit, maxMetadataBytes },
  );
}

/**
 * Explains a Content-Type that a JSON route cannot parse, or a body sent without one, as
 * UNSUPPORTED_MEDIA_TYPE naming the value received.
 */
export function explainJsonMediaType(error: unknown, request: FastifyRequest): unknown {
  if (fastifyCode(error) !== 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return error;
  const header = request.headers['content-type'];
  const received =
    header === undefined
      ? 'the request has a body but no Content-Type'
      : `unsupported Content-Type ${JSON.stringify(header)}`;
  const body = expectedBody(request);
  const advice =
    body === undefined
      ? 'send no body, or send application/json'
      : `send application/json with ${body} as the body`;
  const details = { header: 'content-type', value: header ?? null };
  return new StoreError(
    'UNSUPPORTED_MEDIA_TYPE',
    `${received} on ${routeName(request)}; ${advice}`,
    details,
  );
}

/**
 * Explains a missing body on a route that requires one. Validation alone would report that the
 * body "must be object", which reads as a wrong type rather than an absent body.
 */
export function explainMissingBody(error: unknown, request: FastifyRequest): unknown {
  const fastifyError = error as FastifyError | undefined;
  if (!Array.isArray(fastifyError?.validation)) return error;
  if (fastifyError.validationContext !== 'body' || request.body !== undefined) return error;
  const body = expectedBody(request) ?? 'a JSON body';
  return new StoreError(
    'INVALID_ARGUMENT',
    `request body is missing; ${routeName(request)} requires ${body}, sent with ` +
      'Content-Type: application/json',
    { field: 'body' },
  );
}

/**
 * Explains a body that Fastify's JSON parser rejected. That parser drops the reason, so the text
 * is parsed again with `JSON.parse` only to read its syntax error, which states the position, and
 * the parsed value is discarded. When `JSON.parse` accepts the text, Fastify's parser rejected a
 * `__proto__` or `constructor.prototype` key (prototype poisoning).
 */
export function explainInvalidJson(error: Error, request: FastifyRequest, text: string): Error {
  if (fastifyCode(error) !== 'FST_ERR_CTP_INVALID_JSON_BODY') return error;
  let reason: string | undefined;
  try {
    JSON.parse(text);
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
  }
  if (reason === undefined) {
    return new StoreError(
      'INVALID_ARGUMENT',
      'request body contains a "__proto__" or "constructor.prototype" key, which the server ' +
        'rejects to prevent prototype poisoning; remove that key',
      { field: 'body' },
    );
  }
  return new StoreError(
    'INVALID_ARGUMENT',
    `request body is not valid JSON (${reason}); ${bodyAdvice(request)}`,
    { field: 'body', reason },
  );
}

/**
 * Applies every explanation of errors raised while Fastify reads a request: body size, media
 * type and missing body. Returns `error` unchanged when none applies.
 */
export function explainRequestError(
  error: unknown,
  request: FastifyRequest,
  maxMetadataBytes: number,
): unknown {
  const sized = explainBodyTooLarge(error, request, maxMetadataBytes);
  const typed = explainJsonMediaType(sized, request);
  return explainMissingBody(typed, request);
}

/** Explains an unparsable Content-Type on a file upload, which accepts any valid media type. */
export function explainUploadMediaType(error: unknown, request: FastifyRequest): unknown {
  if (fastifyCode(error) !== 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return error;
  const header = request.headers['content-type'];
  return new StoreError(
    'UNSUPPORTED_MEDIA_TYPE',
    `invalid Content-Type ${JSON.stringify(header ?? null)} on a file upload: it must be a valid ` +
      'media type such as application/octet-stream, or be left out',
    { header: 'content-type', value: header ?? null },
  );
}

/**
 * Converts an error that Fastify's router raises before routing (`frameworkErrors`): a URL whose
 * percent-encoding is not valid UTF-8 becomes INVALID_PATH naming the URL, and a path parameter
 * over the router's length limit becomes INVALID_ARGUMENT naming the parameter and the limit.
 */
export function explainRoutingError(
  error: FastifyError,
  request: FastifyRequest,
  limits: RoutingLimits,
): unknown {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return explainLongParameter(request, limits);
  if (error.code !== 'FST_ERR_BAD_URL') return error;
  return new StoreError(
    'INVALID_PATH',
    `invalid URL ${JSON.stringify(request.url)}: its percent-encoding does not decode to UTF-8; ` +
      'percent-encode each path segment as UTF-8 (encodeURIComponent)',
    { url: request.url },
  );
}

function decodedLength(segment: string): number {
  try {
    return decodeURIComponent(segment).length;
  } catch {
    return segment.length;
  }
}

/**
 * Finds the path parameter that the router rejected as too long. It is the first `:name` segment
 * longer than `maxParamLength` once percent-decoded, in a route whose static segments before it
 * match `path`. The router reports only the whole path, so the routes are matched again here.
 */
function findLongParameter(
  path: string,
  limits: RoutingLimits,
): { name: string; length: number } | undefined {
  const segments = path.split('/');
  for (const route of limits.routes) {
    const parts = route.split('/');
    const count = Math.min(parts.length, segments.length);
    for (let index = 0; index < count; index++) {
      const part = parts[index] as string;
      const segment = segments[index] as string;
      if (part === '*') break;
      if (!part.startsWith(':')) {
        if (part !== segment) break;
        continue;
      }
      const length = decodedLength(segment);
      if (length > limits.maxParamLength) return { name: part.slice(1), length };
    }
  }
  return undefined;
}

function explainLongParameter(request: FastifyRequest, limits: RoutingLimits): StoreError {
  const limit = limits.maxParamLength;
  const found = findLongParameter(request.url.split('?')[0] as string, limits);
  if (found === undefined) {
    return new StoreError(
      'INVALID_ARGUMENT',
      `a path segment of the URL is over the limit of ${limit} characters for a path ` +
        'parameter; check the URL against the routes in /docs',
      { limit },
    );
  }
  const field = `params.${found.name}`;
  return new StoreError(
    'INVALID_ARGUMENT',
    `invalid ${field}: the path parameter is ${found.length} characters long, over the limit of ` +
      `${limit}; check the URL against the routes in /docs`,
    { field, length: found.length, limit },
  );
}
