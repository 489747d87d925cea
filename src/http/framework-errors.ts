/**
 * Errors that Fastify raises itself, before a route handler runs, rewritten as `StoreError`s
 * whose messages fit this API. Each function returns `error` unchanged when it does not apply.
 */

import type { FastifyError, FastifyRequest } from 'fastify';
import { StoreError } from '../errors/store-error.js';

function fastifyCode(error: unknown): string | undefined {
  return (error as FastifyError | undefined)?.code;
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
 * percent-encoding is not valid UTF-8 becomes INVALID_PATH naming the URL.
 */
export function explainRoutingError(error: FastifyError, request: FastifyRequest): unknown {
  if (error.code !== 'FST_ERR_BAD_URL') return error;
  return new StoreError(
    'INVALID_PATH',
    `invalid URL ${JSON.stringify(request.url)}: its percent-encoding does not decode to UTF-8; ` +
      'percent-encode each path segment as UTF-8 (encodeURIComponent)',
    { url: request.url },
  );
}
