/**
 * Replies to bytes that Node's HTTP parser rejects before Fastify receives a request (the
 * server's `clientError` event, handled through Fastify's `clientErrorHandler` option). No request
 * or reply object exists then, so the problem document is written to the socket as raw HTTP.
 */

import { randomUUID } from 'node:crypto';
import { STATUS_CODES, maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import { StoreError } from '../errors/store-error.js';
import { PROBLEM_MEDIA_TYPE, type Problem, toProblem } from './problem.js';

/** Limits of Node's HTTP server that the messages name. */
export interface ParserLimits {
  /** Maximum size of the request line and headers together, in bytes. */
  maxHeaderSize: number;
  /** Time allowed to receive the request line and headers, in milliseconds. */
  headersTimeout: number;
}

/** The next step after a request whose body and framing headers disagree. */
const FRAMING_ADVICE =
  'send a Content-Length equal to the number of body bytes, or send the body with ' +
  'Transfer-Encoding: chunked and no Content-Length';

/**
 * Explains why Node's HTTP parser rejected a request: HEADERS_TOO_LARGE (431), REQUEST_TIMEOUT
 * (408) or else INVALID_ARGUMENT (400). A body longer than its
 * Content-Length shows up as one of the parse errors without their own case, because the parser
 * reads the extra bytes as the start of the next request.
 */
export function explainClientError(error: ConnectionError, limits: ParserLimits): StoreError {
  const details = { parserError: error.code };
  const reason = (error as { reason?: unknown }).reason ?? error.message;
  switch (error.code) {
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return new StoreError(
        'INVALID_ARGUMENT',
        `the request has an invalid Content-Length header (${reason}); ${FRAMING_ADVICE}`,
        details,
      );
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return new StoreError(
        'INVALID_ARGUMENT',
        `the request has an invalid Transfer-Encoding header (${reason}); ${FRAMING_ADVICE}`,
        details,
      );
    case 'HPE_HEADER_OVERFLOW':
      return new StoreError(
        'HEADERS_TOO_LARGE',
        `the request line and headers exceed the limit of ${limits.maxHeaderSize} bytes; ` +
          'shorten the URL or the headers',
        { ...details, limit: limits.maxHeaderSize },
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new StoreError(
        'REQUEST_TIMEOUT',
        `the request timed out because its request line and headers did not arrive within ` +
          `${limits.headersTimeout} ms; retry and send the headers without pausing`,
        { ...details, timeoutMs: limits.headersTimeout },
      );
    default:
      return new StoreError(
        'INVALID_ARGUMENT',
        `the request is not valid HTTP/1.1 (${reason}). When a request body is longer than its ` +
          'Content-Length, the parser reads the extra bytes as the next request and fails this ' +
          `way, so ${FRAMING_ADVICE}`,
        details,
      );
  }
}

/** Renders `problem` as a complete HTTP/1.1 response that closes the connection. */
function rawResponse(problem: Problem): string {
  const body = JSON.stringify(problem);
  return [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}`,
    `Content-Type: ${PROBLEM_MEDIA_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${problem.requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Tells whether a response on `socket` has already started. Node's own fallback for client
 * errors (socketOnError in lib/_http_server.js) makes the same check through the same internal
 * field, so that a raw reply never lands inside a response already being sent.
 */
function responseStarted(socket: Socket): boolean {
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  return inFlight?.headersSent === true;
}

/**
 * Handles a parser error as Fastify's `clientErrorHandler` (Fastify binds `this` to the server).
 * It logs the rejection at info with a fresh request id and writes the problem document when the
 * socket can still take a response. Then it destroys the socket, as Fastify's default handler
 * does, because the rest of the request cannot be parsed and the connection cannot carry another.
 */
export function handleClientError(
  this: FastifyInstance,
  error: ConnectionError,
  socket: Socket,
): void {
  // A reset connection is already closed, so no reply can be sent.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;

  // This server passes no maxHeaderSize of its own, so Node's process-wide limit applies.
  const limits = { maxHeaderSize, headersTimeout: this.server.headersTimeout };
  const storeError = explainClientError(error, limits);
  const requestId = randomUUID();
  this.log.info(
    {
      reqId: requestId,
      code: storeError.code,
      parserError: error.code,
      detail: storeError.message,
    },
    'request rejected',
  );

  if (socket.writable && !responseStarted(socket)) {
    socket.write(rawResponse(toProblem(storeError, requestId)));
  }
  socket.destroy();
}
