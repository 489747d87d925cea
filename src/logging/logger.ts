import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

/**
 * Paths that pino replaces with `[redacted]`. pino's redaction has no recursive wildcard, so the
 * S3 secret is listed at every depth where a logged configuration object can carry it.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'secretAccessKey',
  '*.secretAccessKey',
  '*.*.secretAccessKey',
  '*.*.*.secretAccessKey',
  '*.*.*.*.secretAccessKey',
];

/** The request fields a log line shows: never headers, bodies or query values beyond the URL. */
interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remoteAddress?: string };
}

function serializeRequest(req: LoggedRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
  };
}

/**
 * Creates the process logger: JSON lines with an ISO time, `pid` as the only base field, secrets
 * redacted, and a request serializer that drops headers. Writes to stdout unless `destination`
 * is given.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest, err: pino.stdSerializers.err },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
